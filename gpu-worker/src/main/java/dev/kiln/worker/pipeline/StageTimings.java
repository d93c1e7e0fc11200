package dev.kiln.worker.pipeline;

import java.util.Arrays;

/**
 * Wall time per stage of one batch, in nanoseconds. {@code onnxNanos} is the part spent inside
 * ONNX Runtime calls; {@code totalNanos - onnxNanos} is Kiln's own overhead.
 */
public record StageTimings(long tokenizeNanos, long textEncoderNanos, long vaeEncodeNanos, long[] unetStepNanos,
                           long vaeDecodeNanos, long onnxNanos, long totalNanos) {

    public long unetTotalNanos() {
        return Arrays.stream(unetStepNanos).sum();
    }

    /** Time outside ONNX Runtime calls as a fraction of the batch. */
    public double overheadFraction() {
        return totalNanos == 0 ? 0 : (double) (totalNanos - onnxNanos) / totalNanos;
    }
}
