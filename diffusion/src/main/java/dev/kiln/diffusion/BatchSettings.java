package dev.kiln.diffusion;

/**
 * What every request of one batch shares: the batch runs one UNet call per step for all of them.
 *
 * @param width output width in pixels (a multiple of the VAE scale factor)
 * @param height output height in pixels
 * @param steps inference steps as requested ({@code num_inference_steps})
 * @param strength img2img strength in (0, 1]; 1.0 for text-to-image
 * @param scheduler scheduler name, e.g. {@code pndm}
 * @param classifierFreeGuidance whether requests run an unconditional pass (guidance scale > 1)
 */
public record BatchSettings(int width, int height, int steps, double strength, String scheduler,
        boolean classifierFreeGuidance) {

    public BatchSettings {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("size must be positive, got " + width + "x" + height);
        }
        if (steps <= 0) {
            throw new IllegalArgumentException("steps must be positive, got " + steps);
        }
        if (!(strength > 0 && strength <= 1)) {
            throw new IllegalArgumentException("strength must be in (0, 1], got " + strength);
        }
    }
}
