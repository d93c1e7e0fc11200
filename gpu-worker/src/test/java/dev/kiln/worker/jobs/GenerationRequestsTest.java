package dev.kiln.worker.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.kiln.common.jobs.JobSpec;
import dev.kiln.diffusion.GenerationRequest;

class GenerationRequestsTest {

    @Test
    void givesImageIOfAJobSeedPlusI() {
        JobSpec spec = new JobSpec(JobSpec.SCHEMA_VERSION, "img_1", "a1", JobSpec.MODE_TXT2IMG, "sd-1.5", "fox", "blur",
                3, 64, 64, 20, 7.5, null, 41L, "pndm", null, 0L, 0L);

        List<GenerationRequest> requests = StepRunner.requests(spec, null);

        assertThat(requests).extracting(GenerationRequest::seed).containsExactly(41L, 42L, 43L);
        assertThat(requests).allSatisfy(r -> {
            assertThat(r.imagesPerPrompt()).isEqualTo(1);
            assertThat(r.prompt()).isEqualTo("fox");
            assertThat(r.negativePrompt()).isEqualTo("blur");
        });
    }
}
