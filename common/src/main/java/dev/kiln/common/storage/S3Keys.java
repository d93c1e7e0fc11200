package dev.kiln.common.storage;

import java.util.ArrayList;
import java.util.List;

import dev.kiln.common.jobs.OutputFormat;

/**
 * Object key layout in the Kiln bucket (default {@code kiln}). The API writes inputs, the worker
 * writes outputs; both derive keys only from the job id so neither has to be told where to look.
 */
public final class S3Keys {
    /** Default bucket name; both services make it configurable. */
    public static final String DEFAULT_BUCKET = "kiln";

    private S3Keys() {
    }

    /** The img2img input image, always PNG: {@code inputs/<jobId>.png}. */
    public static String input(String jobId) {
        return "inputs/" + requireSafe(jobId) + ".png";
    }

    /** The i-th (0-based) output image as PNG: {@code outputs/<jobId>/<i>.png}. */
    public static String output(String jobId, int index) {
        return output(jobId, index, OutputFormat.PNG);
    }

    /** The i-th (0-based) output image in a format: {@code outputs/<jobId>/<i>.<png|jpeg|webp>}. */
    public static String output(String jobId, int index, OutputFormat format) {
        if (index < 0) {
            throw new IllegalArgumentException("index must be >= 0: " + index);
        }
        return "outputs/" + requireSafe(jobId) + "/" + index + "." + format.wire();
    }

    /** PNG output keys 0..count-1 in order. */
    public static List<String> outputs(String jobId, int count) {
        return outputs(jobId, count, OutputFormat.PNG);
    }

    /** Output keys 0..count-1 in a format, in order. */
    public static List<String> outputs(String jobId, int count, OutputFormat format) {
        List<String> keys = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            keys.add(output(jobId, i, format));
        }
        return keys;
    }

    // Job ids become path segments; reject anything that could escape the prefix.
    private static String requireSafe(String jobId) {
        if (jobId == null || jobId.isEmpty() || !jobId.matches("[A-Za-z0-9_-]+")) {
            throw new IllegalArgumentException("unsafe job id: " + jobId);
        }
        return jobId;
    }
}
