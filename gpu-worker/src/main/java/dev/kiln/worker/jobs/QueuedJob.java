package dev.kiln.worker.jobs;

import org.eclipse.microprofile.reactive.messaging.Message;

import dev.kiln.common.jobs.JobSpec;
import dev.kiln.worker.batching.CompatibilityKey;

/**
 * A job between Kafka and its settlement: the spec, the record to acknowledge once the outcome is
 * durable, the batching key and the account's tier.
 *
 * @param spec the parsed record value
 * @param message the Kafka record, acked (or nacked to the dead-letter topic) exactly once
 * @param key batching key; see {@link BatchKeys}
 * @param tier the record's {@code kiln-tier} header (the account's rate tier at admission), or null
 */
public record QueuedJob(JobSpec spec, Message<String> message, CompatibilityKey key, String tier) {

    public String jobId() {
        return spec.jobId();
    }

    public String accountId() {
        return spec.accountId();
    }

    /** UNet rows per step: one per image, two with classifier-free guidance. */
    public int rows() {
        return key.guided() ? 2 * spec.n() : spec.n();
    }

    public boolean pastDeadline(long nowMillis) {
        return spec.deadlineMillis() > 0 && nowMillis >= spec.deadlineMillis();
    }

    @Override
    public String toString() {
        return "job " + spec.jobId();
    }
}
