package dev.kiln.worker.batching;

/**
 * A job that describes its own batching needs; a convenience for job types the worker owns
 * ({@link DynamicBatcher#forBatchable}). Types it does not own are adapted with functions instead
 * ({@link DynamicBatcher#builder}).
 */
public interface Batchable {

    /** Jobs with equal keys may share a batch. */
    CompatibilityKey compatibilityKey();

    /** Images this job produces (its {@code n}); at least 1. */
    int imageCount();
}
