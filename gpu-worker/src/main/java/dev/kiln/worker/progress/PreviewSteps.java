package dev.kiln.worker.progress;

import java.util.Arrays;
import java.util.stream.IntStream;

/** The steps at which a job's previews are taken. */
final class PreviewSteps {
    private PreviewSteps() {
    }

    /**
     * {@code count} steps spread evenly over the run, {@code round(k * steps / (count + 1))} for k = 1..count,
     * never the last step (the finished image follows it) nor step 0. Runs too short to hold them all give fewer
     * (OpenAI's partial images may be fewer than asked for too).
     *
     * @return distinct steps in increasing order, 1-based
     */
    static int[] of(int count, int steps) {
        if (count <= 0 || steps < 2) {
            return new int[0];
        }
        return IntStream.rangeClosed(1, count)
                .map(k -> (int) Math.round(k * (double) steps / (count + 1)))
                .map(s -> Math.max(1, Math.min(steps - 1, s)))
                .distinct()
                .toArray();
    }

    /** The index of {@code step} in {@code previewSteps}, or -1. */
    static int indexOf(int[] previewSteps, int step) {
        int i = Arrays.binarySearch(previewSteps, step);
        return i >= 0 ? i : -1;
    }
}
