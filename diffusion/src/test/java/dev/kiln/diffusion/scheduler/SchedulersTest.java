package dev.kiln.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.ObjectMapper;

class SchedulersTest {

    private static final String SD15_CONFIG_JSON = """
            {
              "_class_name": "PNDMScheduler",
              "_diffusers_version": "0.6.0",
              "beta_end": 0.012,
              "beta_schedule": "scaled_linear",
              "beta_start": 0.00085,
              "num_train_timesteps": 1000,
              "set_alpha_to_one": false,
              "skip_prk_steps": true,
              "steps_offset": 1,
              "trained_betas": null,
              "clip_sample": false
            }
            """;

    @ParameterizedTest
    @ValueSource(strings = { "pndm", "ddim", "euler", "euler_a", "dpmpp_2m", "lms" })
    void createsEachSchedulerByItsKilnName(String name) {
        assertThat(Schedulers.create(name, SchedulerConfig.stableDiffusion15()).name()).isEqualTo(name);
    }

    @Test
    void rejectsAnUnknownNameListingTheValidOnes() {
        assertThatThrownBy(() -> Schedulers.create("heun", SchedulerConfig.stableDiffusion15()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("heun")
                .hasMessageContaining("pndm, ddim, euler, euler_a, dpmpp_2m, lms");
    }

    @Test
    void readsSd15SchedulerConfigJson(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("scheduler_config.json");
        Files.writeString(file, SD15_CONFIG_JSON);

        SchedulerConfig config = SchedulerConfig.read(file);

        assertThat(config.numTrainTimesteps()).isEqualTo(1000);
        assertThat(config.betaStart()).isEqualTo(0.00085);
        assertThat(config.betaEnd()).isEqualTo(0.012);
        assertThat(config.betaSchedule()).isEqualTo("scaled_linear");
        assertThat(config.trainedBetas()).isNull();
        assertThat(config.setAlphaToOne()).isFalse();
        assertThat(config.skipPrkSteps()).isTrue();
        assertThat(config.stepsOffset()).isEqualTo(1);
        assertThat(config.clipSample()).isFalse();
        assertThat(config.timestepSpacing()).isNull();
    }

    @Test
    void rejectsPredictionTypesOtherThanEpsilon() {
        assertThatThrownBy(() -> SchedulerConfig.fromJson(new ObjectMapper()
                .readTree("{\"prediction_type\": \"v_prediction\"}")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("v_prediction");
    }

    @Test
    void rejectsATimestepSpacingTheSchedulerDoesNotImplement() {
        SchedulerConfig trailing = new SchedulerConfig(1000, 0.00085, 0.012, "scaled_linear", null, false, true, 1,
                false, null, "trailing");

        assertThatThrownBy(() -> Schedulers.create("euler", trailing))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("trailing");
    }
}
