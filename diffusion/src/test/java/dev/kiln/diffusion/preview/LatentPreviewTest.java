package dev.kiln.diffusion.preview;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;

import dev.kiln.diffusion.image.PngEncoder;
import dev.kiln.diffusion.image.RgbImage;

class LatentPreviewTest {

    /** A 1×1 latent with the given channel values. */
    private static float[] pixel(float c0, float c1, float c2, float c3) {
        return new float[] { c0, c1, c2, c3 };
    }

    private static int expected(float x) {
        return Math.round(Math.max(0f, Math.min(1f, (x + 1f) / 2f)) * 255f);
    }

    @Test
    void zeroLatentsAreMidGrey() {
        RgbImage rgb = LatentPreview.toRgb(new float[4 * 6], 2, 3);
        assertThat(rgb.width()).isEqualTo(3);
        assertThat(rgb.height()).isEqualTo(2);
        for (byte b : rgb.rgb()) {
            assertThat(b & 0xff).isEqualTo(128);
        }
    }

    @Test
    void mapsEachLatentChannelThroughTheSd15Factors() {
        RgbImage rgb = LatentPreview.toRgb(pixel(0.5f, 0f, 0f, -0.5f), 1, 1);
        assertThat(rgb.sample(0, 0, 0)).isEqualTo(expected(0.5f * 0.3512f - 0.5f * -0.2120f));
        assertThat(rgb.sample(0, 0, 1)).isEqualTo(expected(0.5f * 0.2297f - 0.5f * -0.2616f));
        assertThat(rgb.sample(0, 0, 2)).isEqualTo(expected(0.5f * 0.3227f - 0.5f * -0.7177f));
    }

    @Test
    void readsChannelPlanesNotInterleavedPixels() {
        // Two pixels: only pixel 1 has a value, in channel 1; pixel 0 must stay grey.
        float[] latents = new float[4 * 2];
        latents[2 + 1] = 0.8f;
        RgbImage rgb = LatentPreview.toRgb(latents, 1, 2);
        assertThat(rgb.sample(0, 0, 1)).isEqualTo(128);
        assertThat(rgb.sample(1, 0, 1)).isEqualTo(expected(0.8f * 0.4974f));
    }

    @Test
    void clampsColoursOutsideTheRange() {
        float[] latents = new float[4 * 4];
        Arrays.fill(latents, 0, 4, 0.99f);
        latents[4] = 0.99f;
        latents[8] = -0.99f;
        latents[12] = -0.99f;
        RgbImage rgb = LatentPreview.toRgb(latents, 2, 2);
        // R of pixel 0: 0.99*(0.3512+0.3250+0.2829+0.2120) > 1 before clamping.
        assertThat(rgb.sample(0, 0, 0)).isEqualTo(255);
    }

    @Test
    void noisyLatentsAreScaledDownToUnitRms() {
        float[] clean = { 0.6f, -0.3f, 0.9f, -1.2f, 0.2f, 0.4f, -0.8f, 1.0f };
        float[] noisy = clean.clone();
        float rms = 0;
        for (float v : clean) {
            rms += v * v;
        }
        rms = (float) Math.sqrt(rms / clean.length);
        for (int i = 0; i < noisy.length; i++) {
            noisy[i] = clean[i] / rms * 12f;
        }
        float[] unit = clean.clone();
        for (int i = 0; i < unit.length; i++) {
            unit[i] = clean[i] / rms;
        }
        byte[] fromNoisy = LatentPreview.toRgb(noisy, 1, 2).rgb();
        byte[] fromUnit = LatentPreview.toRgb(unit, 1, 2).rgb();
        for (int i = 0; i < fromUnit.length; i++) {
            // Within one level: the two RMS computations round differently in the last float bit.
            assertThat(fromNoisy[i] & 0xff).as("byte %d", i).isCloseTo(fromUnit[i] & 0xff, within(1));
        }
    }

    @Test
    void latentsWithRmsBelowOneAreNotAmplified() {
        float[] small = { 0.1f, 0f, 0f, 0f };
        assertThat(LatentPreview.toRgb(small, 1, 1).sample(0, 0, 0)).isEqualTo(expected(0.1f * 0.3512f));
    }

    @Test
    void rejectsLatentsOfTheWrongSize() {
        assertThatThrownBy(() -> LatentPreview.toRgb(new float[3 * 4], 2, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("4 latent planes");
    }

    @Test
    void upscalesToTheOutputSize() {
        RgbImage small = LatentPreview.toRgb(new float[4 * 8 * 6], 6, 8);
        RgbImage big = LatentPreview.upscale(small, 64, 48);
        assertThat(big.width()).isEqualTo(64);
        assertThat(big.height()).isEqualTo(48);
        assertThat(big.sample(30, 20, 1)).isEqualTo(128);
    }

    @Test
    void encodesALatentSizedPng() throws IOException {
        float[] latents = new float[4 * 8 * 6];
        latents[0] = 1f;
        byte[] png = LatentPreview.png(latents, 6, 8, new PngEncoder());
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(png));
        assertThat(decoded.getWidth()).isEqualTo(8);
        assertThat(decoded.getHeight()).isEqualTo(6);
        RgbImage expected = LatentPreview.toRgb(latents, 6, 8);
        assertThat((decoded.getRGB(0, 0) >> 16) & 0xff).isEqualTo(expected.sample(0, 0, 0));
    }
}
