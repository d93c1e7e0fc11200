package dev.kiln.worker.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import dev.kiln.common.jobs.JobSpec;

class BatchKeysTest {

    private static JobSpec spec(String mode, Double strength, String scheduler, int steps) {
        return new JobSpec(JobSpec.SCHEMA_VERSION, "img_1", "a1", mode, "sd-1.5", "p", null, 1, 64, 64, steps, 7.5,
                strength, 1L, scheduler, JobSpec.MODE_IMG2IMG.equals(mode) ? "inputs/img_1.png" : null, 0L, 0L);
    }

    @Test
    void neverPutsTextToImageAndFullStrengthImageToImageInOneBatch() {
        assertThat(BatchKeys.of(spec(JobSpec.MODE_TXT2IMG, null, "pndm", 20)))
                .isNotEqualTo(BatchKeys.of(spec(JobSpec.MODE_IMG2IMG, 1.0, "pndm", 20)));
    }

    @Test
    void batchesImageToImageStrengthsThatRunTheSameSteps() {
        assertThat(BatchKeys.of(spec(JobSpec.MODE_IMG2IMG, 0.70, "pndm", 20)))
                .isEqualTo(BatchKeys.of(spec(JobSpec.MODE_IMG2IMG, 0.74, "pndm", 20)));
    }

    @Test
    void rejectsAnUnknownScheduler() {
        assertThatThrownBy(() -> BatchKeys.of(spec(JobSpec.MODE_TXT2IMG, null, "nope", 20)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nope");
    }

    @Test
    void rejectsAStrengthThatRunsNoStep() {
        assertThatThrownBy(() -> BatchKeys.of(spec(JobSpec.MODE_IMG2IMG, 0.01, "pndm", 20)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no denoising step");
    }
}
