package dev.kiln.diffusion.image;

/**
 * An 8-bit RGB image, rows top to bottom, pixels interleaved {@code r,g,b}.
 */
public record RgbImage(int width, int height, byte[] rgb) {

    public RgbImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if (rgb.length != Math.multiplyExact(width, height) * 3) {
            throw new IllegalArgumentException("a " + width + "x" + height + " RGB image needs "
                    + (width * height * 3) + " bytes, got " + rgb.length);
        }
    }

    /** Channel {@code c} of pixel ({@code x},{@code y}) in 0..255. */
    public int sample(int x, int y, int c) {
        return rgb[(y * width + x) * 3 + c] & 0xff;
    }
}
