package dev.kiln.diffusion;

/**
 * Tuning of the pipeline that does not change its results.
 *
 * @param vaeBatchImages images per VAE encoder/decoder call. The VAE at 512x512 needs several GB
 *        of activations per image, so the default is 1 (as diffusers' ONNX
 *        pipeline decodes one image at a time); raise it on large GPUs.
 */
public record PipelineOptions(int vaeBatchImages) {

    public PipelineOptions {
        if (vaeBatchImages < 1) {
            throw new IllegalArgumentException("vaeBatchImages must be at least 1");
        }
    }

    public static PipelineOptions defaults() {
        return new PipelineOptions(1);
    }
}
