package dev.kiln.diffusion;

import dev.kiln.diffusion.image.PngEncoder;
import dev.kiln.diffusion.image.RgbImage;

/**
 * A generated image as floats in [0, 1], HWC order (before 8-bit rounding, as reference
 * fixtures store it).
 */
public record GeneratedImage(int width, int height, float[] rgb) {

    /** Rounds to 8 bits as diffusers does: {@code round(x * 255)}. */
    public RgbImage toRgbImage() {
        byte[] bytes = new byte[rgb.length];
        for (int i = 0; i < rgb.length; i++) {
            bytes[i] = (byte) Math.round(rgb[i] * 255f);
        }
        return new RgbImage(width, height, bytes);
    }

    public byte[] toPng(PngEncoder encoder) {
        return encoder.encode(toRgbImage());
    }
}
