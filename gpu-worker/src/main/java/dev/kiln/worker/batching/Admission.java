package dev.kiln.worker.batching;

/** Outcome of handing a job to the {@link DynamicBatcher}. */
public enum Admission {
    /** Queued; it will come out in a batch, through the dead-job callback, or from shutdownNow. */
    ACCEPTED,
    /** The queue holds {@link BatchingPolicy#maxQueuedJobs()} jobs (and, for put, stayed so). */
    QUEUE_FULL,
    /** The batcher is closed; the caller keeps the job (e.g. leaves it uncommitted for redelivery). */
    CLOSED
}
