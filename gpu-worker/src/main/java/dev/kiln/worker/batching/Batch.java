package dev.kiln.worker.batching;

import java.util.List;
import java.util.Objects;

/**
 * Jobs released together for one pipeline run.
 *
 * @param key the key every job shares
 * @param jobs the jobs in arrival order (unmodifiable, never empty)
 * @param imageCount sum of the jobs' image counts; exceeds the policy maximum only for a single
 *     oversize job
 * @param trigger why the batch was released when it was
 * @param <J> the worker's job type
 */
public record Batch<J>(CompatibilityKey key, List<J> jobs, int imageCount, BatchTrigger trigger) {

    /** Validates and defensively copies the job list. */
    public Batch {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(trigger, "trigger");
        jobs = List.copyOf(jobs);
        if (jobs.isEmpty()) {
            throw new IllegalArgumentException("a batch holds at least one job");
        }
        if (imageCount < jobs.size()) {
            throw new IllegalArgumentException("imageCount " + imageCount + " < jobs " + jobs.size());
        }
    }
}
