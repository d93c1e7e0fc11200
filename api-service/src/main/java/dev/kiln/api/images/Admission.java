package dev.kiln.api.images;

import dev.kiln.api.ratelimit.RateLimitSnapshot;

/**
 * The decoded reply of the submit script.
 *
 * @param outcome          what the script decided
 * @param jobId            the admitted job, or the earlier one for {@link AdmissionOutcome#REPLAY}
 * @param retryAfterMillis when a rate-limited request may pass
 * @param limits           the key's rate-limit state (meaningless when unauthenticated)
 */
public record Admission(AdmissionOutcome outcome, String jobId, long retryAfterMillis, RateLimitSnapshot limits) {
}
