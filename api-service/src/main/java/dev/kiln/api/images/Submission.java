package dev.kiln.api.images;

import dev.kiln.common.jobs.JobSpec;

/**
 * One submission on its way through admission, hand-off and answer.
 *
 * @param spec the job as it will be queued
 * @param specJson the spec rendered once (stored in Redis and sent to Kafka)
 * @param request the validated request
 * @param priceMicros price of one image
 * @param prefer the client's Prefer header
 * @param traceparent W3C trace context sent with the job
 * @param deduplication how the request may repeat an earlier one
 * @param requestId {@code x-request-id} of the HTTP request, for logs
 */
public record Submission(JobSpec spec, String specJson, ImageRequest request, long priceMicros, Prefer prefer,
        String traceparent, Deduplication deduplication, String requestId) {

    /** The Idempotency-Key record of this submission, or null when it has none. */
    public String recordKey() {
        return deduplication.kind() == Deduplication.Kind.NONE ? null
                : deduplication.recordKey(spec.accountId(), request.fingerprint());
    }
}
