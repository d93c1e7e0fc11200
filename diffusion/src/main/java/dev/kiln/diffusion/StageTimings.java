package dev.kiln.diffusion;

import java.util.Arrays;

/**
 * Wall time per stage of one batch, in nanoseconds. {@code onnxNanos} is the part spent inside
 * ONNX Runtime calls; {@code totalNanos - onnxNanos} is Kiln's own overhead.
 * {@code unetOnnxNanos} is the part of the denoising loop ({@code unetStepNanos}) spent inside
 * ONNX Runtime, so the loop's own overhead, which scales with steps, can be told apart from the
 * once-per-batch overhead.
 */
public record StageTimings(long tokenizeNanos, long textEncoderNanos, long vaeEncodeNanos, long[] unetStepNanos,
        long vaeDecodeNanos, long onnxNanos, long totalNanos, long unetOnnxNanos) {

    public long unetTotalNanos() {
        return Arrays.stream(unetStepNanos).sum();
    }

    /** Denoising-loop time outside ONNX Runtime, per step: scheduler math, guidance, tensor copies. */
    public double loopOverheadNanosPerStep() {
        return unetStepNanos.length == 0 ? 0 : (double) (unetTotalNanos() - unetOnnxNanos) / unetStepNanos.length;
    }

    /** Time outside ONNX Runtime calls as a fraction of the batch. */
    public double overheadFraction() {
        return totalNanos == 0 ? 0 : (double) (totalNanos - onnxNanos) / totalNanos;
    }
}
