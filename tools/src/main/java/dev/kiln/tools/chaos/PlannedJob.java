package dev.kiln.tools.chaos;

import dev.kiln.local.admin.LocalAccount;

/**
 * One request the chaos run makes (retried under one Idempotency-Key until it is accepted).
 *
 * @param fault the fault during whose share it is submitted
 * @param account the submitting account
 * @param idempotencyKey the key every attempt carries
 * @param n images requested
 * @param img2img with an input image (stored in S3 by the API)
 */
public record PlannedJob(Fault fault, LocalAccount account, String idempotencyKey, int n, boolean img2img) {
}
