package dev.kiln.diffusion.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;

import javax.imageio.ImageIO;

/**
 * Decodes uploaded images with ImageIO (PNG, JPEG, GIF, BMP; WebP only if an ImageIO plugin is
 * on the classpath — none is bundled) to 8-bit RGB. Alpha is composited onto white, as an
 * uploaded transparent PNG would be seen in a viewer; grey and palette images expand to RGB.
 */
public final class ImageDecoder {

    private ImageDecoder() {
    }

    public static RgbImage decode(byte[] encoded) throws IOException {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(encoded));
        if (image == null) {
            throw new IOException("unsupported or corrupt image (" + encoded.length + " bytes); PNG and JPEG are accepted");
        }
        return toRgb(image);
    }

    public static RgbImage toRgb(BufferedImage image) {
        int width = image.getWidth();
        int height = image.getHeight();
        int[] argb = image.getRGB(0, 0, width, height, null, 0, width);
        boolean alpha = image.getColorModel().hasAlpha();
        byte[] rgb = new byte[width * height * 3];
        for (int i = 0; i < argb.length; i++) {
            int p = argb[i];
            int r = (p >>> 16) & 0xff;
            int g = (p >>> 8) & 0xff;
            int b = p & 0xff;
            if (alpha) {
                int a = p >>> 24;
                r = (r * a + 255 * (255 - a) + 127) / 255;
                g = (g * a + 255 * (255 - a) + 127) / 255;
                b = (b * a + 255 * (255 - a) + 127) / 255;
            }
            rgb[i * 3] = (byte) r;
            rgb[i * 3 + 1] = (byte) g;
            rgb[i * 3 + 2] = (byte) b;
        }
        return new RgbImage(width, height, rgb);
    }
}
