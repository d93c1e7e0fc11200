package dev.kiln.worker.batching;

/** Why the batcher released a batch when it did. */
public enum BatchTrigger {
    /** No further compatible job fits, or the head job alone fills or exceeds the maximum. */
    FULL,
    /** The oldest job waited {@link BatchingPolicy#maxWaitMillis()}; the batch may be partial. */
    MAX_WAIT_ELAPSED,
    /** The batcher is closed, so no job can arrive to fill the batch: released without waiting. */
    DRAINING
}
