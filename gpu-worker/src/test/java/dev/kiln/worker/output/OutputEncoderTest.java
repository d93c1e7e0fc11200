package dev.kiln.worker.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.SplittableRandom;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.MemoryCacheImageInputStream;

import org.junit.jupiter.api.Test;

import com.luciad.imageio.webp.WebPImageReaderSpi;

import dev.kiln.common.jobs.OutputFormat;
import dev.kiln.diffusion.image.RgbImage;

class OutputEncoderTest {
    private final OutputEncoder encoder = new OutputEncoder();

    /** A smooth gradient with some texture: what lossy codecs are made for, so quality changes the size. */
    private static RgbImage picture(int width, int height) {
        SplittableRandom random = new SplittableRandom(3);
        byte[] rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int p = (y * width + x) * 3;
                rgb[p] = (byte) (x * 255 / width);
                rgb[p + 1] = (byte) (y * 255 / height);
                rgb[p + 2] = (byte) (100 + random.nextInt(40));
            }
        }
        return new RgbImage(width, height, rgb);
    }

    private static BufferedImage readWebP(byte[] bytes) throws IOException {
        ImageReader reader = new WebPImageReaderSpi().createReaderInstance(null);
        try (MemoryCacheImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(in);
            return reader.read(0);
        } finally {
            reader.dispose();
        }
    }

    private static int green(BufferedImage image, int x, int y) {
        return (image.getRGB(x, y) >> 8) & 0xff;
    }

    @Test
    void pngIsLosslessAndUnchangedByQuality() throws IOException {
        RgbImage image = picture(48, 32);
        byte[] png = encoder.encode(image, OutputFormat.PNG, 10);
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(png));
        assertThat(green(decoded, 20, 17)).isEqualTo(image.sample(20, 17, 1));
        assertThat(png).containsExactly(encoder.encode(image, OutputFormat.PNG, 100));
    }

    @Test
    void jpegDecodesToTheImageWithinLossyTolerance() throws IOException {
        RgbImage image = picture(64, 48);
        byte[] jpeg = encoder.encode(image, OutputFormat.JPEG, 95);
        assertThat(jpeg).startsWith((byte) 0xFF, (byte) 0xD8);
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(jpeg));
        assertThat(decoded.getWidth()).isEqualTo(64);
        assertThat(decoded.getHeight()).isEqualTo(48);
        assertThat(green(decoded, 30, 24)).isCloseTo(image.sample(30, 24, 1), within(12));
    }

    @Test
    void lowerJpegQualityMakesSmallerFiles() {
        RgbImage image = picture(128, 96);
        assertThat(encoder.encode(image, OutputFormat.JPEG, 20).length)
                .isLessThan(encoder.encode(image, OutputFormat.JPEG, 95).length);
    }

    @Test
    void webpIsARiffWebPFileThatDecodesToTheImage() throws IOException {
        RgbImage image = picture(64, 48);
        byte[] webp = encoder.encode(image, OutputFormat.WEBP, 90);
        assertThat(new String(webp, 0, 4, "US-ASCII")).isEqualTo("RIFF");
        assertThat(new String(webp, 8, 4, "US-ASCII")).isEqualTo("WEBP");
        BufferedImage decoded = readWebP(webp);
        assertThat(decoded.getWidth()).isEqualTo(64);
        assertThat(decoded.getHeight()).isEqualTo(48);
        assertThat(green(decoded, 30, 24)).isCloseTo(image.sample(30, 24, 1), within(12));
    }

    @Test
    void lowerWebpQualityMakesSmallerFiles() {
        RgbImage image = picture(128, 96);
        assertThat(encoder.encode(image, OutputFormat.WEBP, 10).length)
                .isLessThan(encoder.encode(image, OutputFormat.WEBP, 95).length);
    }

    @Test
    void rejectsAQualityOutsideZeroToHundred() {
        assertThatThrownBy(() -> encoder.encode(picture(8, 8), OutputFormat.JPEG, 101))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
