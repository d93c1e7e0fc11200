package dev.kiln.worker.progress;

/**
 * A job whose progress is published, as the step listener needs it.
 *
 * @param partialImages previews asked for (0..3)
 * @param width output width in pixels (for full-size previews)
 * @param height output height in pixels
 */
public record ReportedJob(String accountId, String jobId, int partialImages, int width, int height) {
}
