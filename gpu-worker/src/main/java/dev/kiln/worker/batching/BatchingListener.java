package dev.kiln.worker.batching;

/**
 * Metrics hooks, bound to Micrometer by the worker. Called on the thread that takes the batch,
 * outside the batcher's lock; implementations should be quick and must not call back into the
 * batcher's blocking methods. Exceptions are logged and otherwise ignored.
 */
public interface BatchingListener {

    /** Does nothing. */
    BatchingListener NONE = new BatchingListener() { };

    /** A batch was released. */
    default void batchReleased(CompatibilityKey key, int jobCount, int imageCount, BatchTrigger trigger) {
    }

    /** A job left the queue in a batch after waiting {@code queueWaitNanos} since it was accepted. */
    default void jobDequeued(long queueWaitNanos) {
    }

    /** A job was dropped as dead (canceled or past its deadline) before running. */
    default void jobDropped(long queueWaitNanos) {
    }
}
