package dev.kiln.common.jobs;

/**
 * Result of {@code mark_running.lua}.
 *
 * @param outcome {@link Outcome#RUNNING}: run it; {@link Outcome#TERMINAL}: skip (already settled);
 *        {@link Outcome#MISSING}: no record, skip
 * @param status status after the call (null when missing)
 * @param attempts how many times the job has been marked running, this call included
 */
public record MarkRunningResult(Outcome outcome, JobStatus status, int attempts) {
    public enum Outcome {
        RUNNING,
        TERMINAL,
        MISSING
    }

    public boolean shouldRun() {
        return outcome == Outcome.RUNNING;
    }
}
