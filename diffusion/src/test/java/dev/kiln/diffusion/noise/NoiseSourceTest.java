package dev.kiln.diffusion.noise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kiln.diffusion.npy.Npy;

class NoiseSourceTest {

    @TempDir
    Path dir;

    @Test
    void seededSourceRepeatsForTheSameSeed() {
        float[] a = new SeededNoiseSource(7).draw(NoiseKind.INITIAL_LATENTS, new int[] { 1, 4, 8, 8 });
        float[] b = new SeededNoiseSource(7).draw(NoiseKind.INITIAL_LATENTS, new int[] { 1, 4, 8, 8 });
        assertThat(b).containsExactly(a);
    }

    @Test
    void seededSourceIsStandardNormal() {
        float[] draws = new SeededNoiseSource(3).draw(NoiseKind.INITIAL_LATENTS, new int[] { 100_000 });
        double sum = 0;
        double squares = 0;
        for (float v : draws) {
            sum += v;
            squares += v * v;
        }
        double mean = sum / draws.length;
        assertThat(mean).isBetween(-0.02, 0.02);
        assertThat(squares / draws.length - mean * mean).isBetween(0.98, 1.02);
    }

    @Test
    void recordedSourceReplaysDrawsPerLabelInFileOrder() throws IOException {
        Npy.write(dir.resolve("noise_00_posterior.npy"), new Npy.Array(new long[] { 2 }, new float[] { 1, 2 }));
        Npy.write(dir.resolve("noise_01_ancestral_step.npy"), new Npy.Array(new long[] { 2 }, new float[] { 3, 4 }));
        Npy.write(dir.resolve("noise_02_ancestral_step.npy"), new Npy.Array(new long[] { 2 }, new float[] { 5, 6 }));
        RecordedNoiseSource source = RecordedNoiseSource.fromDirectory(dir);
        assertThat(source.draw(NoiseKind.ANCESTRAL_STEP, new int[] { 2 })).containsExactly(3, 4);
        assertThat(source.draw(NoiseKind.POSTERIOR, new int[] { 2 })).containsExactly(1, 2);
        assertThat(source.draw(NoiseKind.ANCESTRAL_STEP, new int[] { 2 })).containsExactly(5, 6);
    }

    @Test
    void recordedSourceFailsWhenADrawIsMissingOrMisshaped() throws IOException {
        Npy.write(dir.resolve("noise_00_posterior.npy"), new Npy.Array(new long[] { 2 }, new float[] { 1, 2 }));
        RecordedNoiseSource source = RecordedNoiseSource.fromDirectory(dir);
        assertThatThrownBy(() -> source.draw(NoiseKind.POSTERIOR, new int[] { 3 }))
                .hasMessageContaining("posterior");
        assertThatThrownBy(() -> source.draw(NoiseKind.INITIAL_LATENTS, new int[] { 2 }))
                .hasMessageContaining("initial_latents");
    }
}
