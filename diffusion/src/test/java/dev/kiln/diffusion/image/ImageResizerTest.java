package dev.kiln.diffusion.image;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ImageResizerTest {

    @Test
    void keepsAUniformImageUniform() {
        byte[] rgb = new byte[40 * 30 * 3];
        for (int i = 0; i < rgb.length; i += 3) {
            rgb[i] = 10;
            rgb[i + 1] = (byte) 200;
            rgb[i + 2] = 77;
        }
        RgbImage resized = ImageResizer.resize(new RgbImage(40, 30, rgb), 64, 16);
        assertThat(resized.width()).isEqualTo(64);
        assertThat(resized.height()).isEqualTo(16);
        for (int i = 0; i < resized.rgb().length; i += 3) {
            assertThat(resized.rgb()[i]).isEqualTo((byte) 10);
            assertThat(resized.rgb()[i + 1]).isEqualTo((byte) 200);
            assertThat(resized.rgb()[i + 2]).isEqualTo((byte) 77);
        }
    }

    @Test
    void downscalingAveragesAFineCheckerboardToGrey() {
        int size = 64;
        byte[] rgb = new byte[size * size * 3];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                byte v = (byte) (((x + y) & 1) == 0 ? 255 : 0);
                int p = (y * size + x) * 3;
                rgb[p] = v;
                rgb[p + 1] = v;
                rgb[p + 2] = v;
            }
        }
        RgbImage small = ImageResizer.resize(new RgbImage(size, size, rgb), 8, 8);
        // Away from the borders the antialiased result is mid-grey, not aliased black or white.
        assertThat(small.sample(4, 4, 0)).isBetween(120, 135);
    }

    @Test
    void returnsTheSameImageAtTheSameSize() {
        RgbImage image = new RgbImage(2, 2, new byte[12]);
        assertThat(ImageResizer.resize(image, 2, 2)).isSameAs(image);
    }
}
