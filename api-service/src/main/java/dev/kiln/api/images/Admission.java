package dev.kiln.api.images;

import dev.kiln.api.ratelimit.RateLimitSnapshot;

/**
 * The decoded reply of the submit script.
 *
 * @param outcome what the script decided
 * @param jobId the admitted job, or the earlier one for {@link AdmissionOutcome#REPLAY}
 * @param retryAfterMillis when a rate-limited request may pass
 * @param limits the key's rate-limit state (meaningless when unauthenticated)
 * @param tier the rate tier the script applied (the key's, else the account's, else the default);
 *        sent with the job so the worker weights the account's fair share by it
 */
public record Admission(AdmissionOutcome outcome, String jobId, long retryAfterMillis, RateLimitSnapshot limits,
        String tier) {
}
