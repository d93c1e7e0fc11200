package dev.kiln.worker.pipeline.image;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

class PngEncoderTest {

    private static RgbImage noisyImage(int width, int height) {
        byte[] rgb = new byte[width * height * 3];
        java.util.SplittableRandom random = new java.util.SplittableRandom(1);
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) random.nextInt(256);
        }
        return new RgbImage(width, height, rgb);
    }

    @Test
    void everyFilterDecodesBackToTheSamePixels() throws IOException {
        RgbImage image = noisyImage(37, 23);
        for (PngEncoder.Filter filter : PngEncoder.Filter.values()) {
            byte[] png = new PngEncoder(1, filter).encode(image);
            RgbImage decoded = ImageDecoder.decode(png);
            assertThat(decoded.width()).isEqualTo(37);
            assertThat(decoded.rgb()).as(filter.name()).containsExactly(image.rgb());
        }
    }

    @Test
    void startsWithThePngSignature() {
        byte[] png = new PngEncoder().encode(noisyImage(4, 4));
        assertThat(png).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
    }

    @Test
    void decoderCompositesTransparentPixelsOntoWhite() throws IOException {
        java.awt.image.BufferedImage argb = new java.awt.image.BufferedImage(2, 1,
                java.awt.image.BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0x00000000);
        argb.setRGB(1, 0, 0xff102030);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        javax.imageio.ImageIO.write(argb, "png", out);
        RgbImage rgb = ImageDecoder.decode(out.toByteArray());
        assertThat(rgb.sample(0, 0, 0)).isEqualTo(255);
        assertThat(rgb.sample(1, 0, 2)).isEqualTo(0x30);
    }

    @Test
    void decoderRejectsBytesThatAreNoImage() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ImageDecoder.decode(new byte[]{1, 2, 3}))
                .isInstanceOf(IOException.class);
    }
}
