package dev.kiln.worker.batching;

import static dev.kiln.worker.batching.CompatibilityKey.Mode.IMAGE_TO_IMAGE;

/** A job as the tests need one: an id to account for it, a key and an image count. */
record TestJob(int id, CompatibilityKey compatibilityKey, int imageCount) {

    /** A batcher builder for test jobs. */
    static DynamicBatcher.Builder<TestJob> batcher(BatchingPolicy policy) {
        return DynamicBatcher.builder(policy, TestJob::compatibilityKey, TestJob::imageCount);
    }

    static final CompatibilityKey KEY_A = CompatibilityKey.of("sd-1.5", IMAGE_TO_IMAGE, 512, 512, 20, 0.75, "pndm", 7.5);
    static final CompatibilityKey KEY_B = CompatibilityKey.of("sd-1.5", IMAGE_TO_IMAGE, 768, 512, 20, 0.75, "pndm", 7.5);
    static final CompatibilityKey KEY_C = CompatibilityKey.of("sd-1.5", IMAGE_TO_IMAGE, 512, 512, 30, 1.0, "euler_a", 1.0);

    static TestJob a(int id, int images) {
        return new TestJob(id, KEY_A, images);
    }

    static TestJob b(int id, int images) {
        return new TestJob(id, KEY_B, images);
    }
}
