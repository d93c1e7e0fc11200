package dev.kiln.worker.batching;

/**
 * How the {@link DynamicBatcher} forms batches, as data (the worker maps
 * {@code kiln.worker.batching.*} onto it).
 *
 * @param maxBatchImages largest batch in images (sum of the jobs' {@code n}); a single job with
 *     more images than this still runs, alone and unsplit. Default {@value #DEFAULT_MAX_BATCH_IMAGES}.
 * @param maxWaitMillis longest time, counted from the arrival of the oldest queued job, that a
 *     batch which is not yet full is held back in the hope that compatible jobs arrive; 0 means
 *     dispatch whatever is compatible right away. Default {@value #DEFAULT_MAX_WAIT_MILLIS}.
 * @param maxQueuedJobs bound of the queue in jobs (not images); producers are pushed back once it
 *     is reached. Should be at least {@code maxBatchImages} or batches of one-image jobs can never
 *     fill. Default {@value #DEFAULT_MAX_QUEUED_JOBS}.
 */
public record BatchingPolicy(int maxBatchImages, long maxWaitMillis, int maxQueuedJobs) {

    /** Default of {@link #maxBatchImages()}: eight 512x512 latents fit a 16 GB GPU with CFG. */
    public static final int DEFAULT_MAX_BATCH_IMAGES = 8;
    /** Default of {@link #maxWaitMillis()}: small next to a multi-second diffusion run. */
    public static final long DEFAULT_MAX_WAIT_MILLIS = 50;
    /** Default of {@link #maxQueuedJobs()}: a few batches' worth of work held by one worker. */
    public static final int DEFAULT_MAX_QUEUED_JOBS = 64;

    /** The documented defaults (8 images, 50 ms, 64 jobs). */
    public static final BatchingPolicy DEFAULTS =
            new BatchingPolicy(DEFAULT_MAX_BATCH_IMAGES, DEFAULT_MAX_WAIT_MILLIS, DEFAULT_MAX_QUEUED_JOBS);

    /** Validates the policy. */
    public BatchingPolicy {
        if (maxBatchImages < 1) {
            throw new IllegalArgumentException("maxBatchImages must be >= 1, was " + maxBatchImages);
        }
        if (maxWaitMillis < 0) {
            throw new IllegalArgumentException("maxWaitMillis must be >= 0, was " + maxWaitMillis);
        }
        // Far beyond any sensible delay; also keeps the nanosecond arithmetic clear of overflow.
        if (maxWaitMillis > 3_600_000L) {
            throw new IllegalArgumentException("maxWaitMillis must be <= 3600000 (1 h), was " + maxWaitMillis);
        }
        if (maxQueuedJobs < 1) {
            throw new IllegalArgumentException("maxQueuedJobs must be >= 1, was " + maxQueuedJobs);
        }
    }

    long maxWaitNanos() {
        return maxWaitMillis * 1_000_000L;
    }
}
