package dev.kiln.diffusion.preview;

import dev.kiln.diffusion.image.ImageResizer;
import dev.kiln.diffusion.image.PngEncoder;
import dev.kiln.diffusion.image.RgbImage;

/**
 * A cheap preview of a running denoise: SD 1.5's published linear latent→RGB approximation instead of the VAE
 * decoder, a 4×3 matrix product per latent pixel (microseconds for a 64×64 latent, against a VAE decode that
 * costs as much as several UNet steps).
 *
 * <p>
 * The coefficients are ComfyUI's {@code SD15.latent_rgb_factors} ({@code comfy/latent_formats.py}), the
 * matrix its "latent2rgb" previewer applies to SD 1.x latents in the sampler's space (the VAE latents times
 * 0.18215, the space {@link dev.kiln.diffusion.StepProgress#latents()} is in); ComfyUI maps the product to pixels
 * with {@code (x + 1) / 2}, clamped, as here. It refines the least-squares fit first posted by Keturn for SD 1.4
 * (Hugging Face forum, "Decoding latents to RGB without upscaling", 2022), which AUTOMATIC1111's "Approx cheap"
 * preview uses. SD 1.5 shares SD 1.4's VAE, so either fits.
 *
 * <p>
 * The latents a step leaves still carry that step's noise. Schedulers that work in sigma space (Euler, LMS,
 * DPM-Solver) keep them scaled by up to {@code sqrt(1 + sigma²)}, about 15 at the first step; clean SD latents in
 * this space have a standard deviation near 1. The preview divides by the latents' RMS when it is above 1, so
 * early previews of those schedulers show a greyed image instead of saturated colour noise, and late ones (RMS
 * near 1) are untouched.
 *
 * <p>
 * The preview has the latent's size, 1/8 of the output's side (64×64 for 512×512): {@link #upscale} stretches it
 * to the output size when a caller wants that, at the cost of a larger PNG (about 1/8 of the side means 1/64 of
 * the pixels to encode and send).
 */
public final class LatentPreview {

    /** Rows: latent channels 0..3; columns: R, G, B. ComfyUI's {@code SD15.latent_rgb_factors}. */
    static final float[][] SD15_LATENT_RGB_FACTORS = {
            { 0.3512f, 0.2297f, 0.3227f },
            { 0.3250f, 0.4974f, 0.2350f },
            { -0.2829f, 0.1762f, 0.2721f },
            { -0.2120f, -0.2616f, -0.7177f },
    };

    /** Channels of an SD 1.x latent. */
    public static final int CHANNELS = 4;

    private LatentPreview() {
    }

    /**
     * The latent-sized RGB preview of one image's latents.
     *
     * @param latents {@code [4, height, width]}, channel planes one after the other (NCHW without N)
     * @throws IllegalArgumentException when the array does not hold 4 planes of {@code height × width}
     */
    public static RgbImage toRgb(float[] latents, int height, int width) {
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("latent size must be positive, got " + width + "x" + height);
        }
        int plane = Math.multiplyExact(height, width);
        if (latents.length != CHANNELS * plane) {
            throw new IllegalArgumentException("expected " + CHANNELS + " latent planes of " + width + "x" + height
                    + " (" + CHANNELS * plane + " values), got " + latents.length);
        }
        float gain = 1f / Math.max(1f, rms(latents));
        byte[] rgb = new byte[plane * 3];
        for (int p = 0; p < plane; p++) {
            for (int c = 0; c < 3; c++) {
                float x = 0;
                for (int l = 0; l < CHANNELS; l++) {
                    x += latents[l * plane + p] * SD15_LATENT_RGB_FACTORS[l][c];
                }
                float v = (x * gain + 1f) / 2f;
                rgb[p * 3 + c] = (byte) Math.round(Math.max(0f, Math.min(1f, v)) * 255f);
            }
        }
        return new RgbImage(width, height, rgb);
    }

    /** Stretches a preview to the output size (Lanczos, as img2img inputs are resized). */
    public static RgbImage upscale(RgbImage preview, int width, int height) {
        return ImageResizer.resize(preview, width, height);
    }

    /** {@link #toRgb} as a PNG, latent-sized. */
    public static byte[] png(float[] latents, int height, int width, PngEncoder encoder) {
        return encoder.encode(toRgb(latents, height, width));
    }

    private static float rms(float[] values) {
        double sum = 0;
        for (float v : values) {
            sum += (double) v * v;
        }
        return (float) Math.sqrt(sum / values.length);
    }
}
