package dev.kiln.worker.progress;

/** Work the inference thread hands to the publisher thread: already copied, so the GPU loop never waits on it. */
sealed interface ProgressTask {

    String accountId();

    String jobId();

    /** A job finished a step. */
    record Step(String accountId, String jobId, int step, int steps, long atMillis) implements ProgressTask {
    }

    /**
     * A preview to render and send.
     *
     * @param latents a copy of the job's first image's latents, {@code [4, latentHeight, latentWidth]}
     * @param outputWidth the job's image width, for full-size previews
     * @param outputHeight the job's image height
     */
    record Preview(String accountId, String jobId, int index, int step, int steps, float[] latents,
            int latentHeight, int latentWidth, int outputWidth, int outputHeight, long atMillis)
            implements
                ProgressTask {
    }
}
