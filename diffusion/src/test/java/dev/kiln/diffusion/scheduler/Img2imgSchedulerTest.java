package dev.kiln.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** img2img runs: which timesteps, which sigma, which multistep order, as diffusers 0.21.4. */
class Img2imgSchedulerTest {

    private static final SchedulerConfig SD15 = SchedulerConfig.stableDiffusion15();

    @ParameterizedTest
    @ValueSource(strings = { "ddim", "euler", "euler_a", "lms", "dpmpp_2m" })
    void strengthHalfRunsTheLastHalfOfTheSchedule(String name) {
        double[] full = Schedulers.create(name, SD15).start(10, 1.0).timesteps();

        double[] run = Schedulers.create(name, SD15).start(10, 0.5).timesteps();

        assertThat(run).containsExactly(Arrays.copyOfRange(full, 5, 10));
    }

    @Test
    void strengthTruncatesStepsTimesStrengthLikePythonInt() {
        // int(10 * 0.3) = 3 although 10 * 0.3 = 3.0000000000000004; int(10 * 0.29) = 2.
        assertThat(Schedulers.create("euler", SD15).start(10, 0.3).timesteps()).hasSize(3);
        assertThat(Schedulers.create("euler", SD15).start(10, 0.29).timesteps()).hasSize(2);
    }

    @ParameterizedTest
    @ValueSource(strings = { "ddim", "euler", "euler_a", "lms", "dpmpp_2m" })
    void rejectsAStrengthThatRunsNoStep(String name) {
        assertThatThrownBy(() -> Schedulers.create(name, SD15).start(10, 0.05))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("runs no");
    }

    @Test
    void pndmAtStrengthZeroStillRunsItsFinalTimestepAsDiffusersDoes() {
        assertThat(Schedulers.create("pndm", SD15).start(10, 0.0).timesteps()).containsExactly(1.0);
    }

    @Test
    void rejectsStrengthOutsideZeroToOne() {
        assertThatThrownBy(() -> Schedulers.create("ddim", SD15).start(10, 1.5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("strength");
    }

    @Test
    void eulerAddsNoiseWithTheSigmaOfTheFirstExecutedTimestep() {
        SchedulerRun run = Schedulers.create("euler", SD15).start(10, 0.5);

        float[] noised = run.addNoise(new float[] { 0f }, new float[] { 1f });

        // sigmas[5] of the 10-step grid (timestep 444) in the diffusers fixture.
        assertThat(noised[0]).isCloseTo(1.34492826461792f, within(1e-6f));
    }

    @Test
    void ddimAddsNoiseWithAlphasCumprodOfTheFirstExecutedTimestep() {
        SchedulerRun run = Schedulers.create("ddim", SD15).start(10, 0.5);
        NoiseSchedule schedule = NoiseSchedule.of(SD15);
        double alpha = schedule.alphaCumprod(401);

        float[] noised = run.addNoise(new float[] { 1f }, new float[] { 1f });

        assertThat(run.timesteps()[0]).isEqualTo(401);
        assertThat(noised[0]).isCloseTo((float) (Math.sqrt(alpha) + Math.sqrt(1 - alpha)), within(1e-6f));
    }

    @Test
    void lmsFirstImg2imgStepUsesTheOrderOfItsGlobalStepIndex() {
        SchedulerRun run = Schedulers.create("lms", SD15).start(10, 0.5);
        float[] sample = { 1f };
        float[] modelOutput = { 1f };

        float[] prev = run.step(modelOutput, 0, sample, null);

        // diffusers 0.21.4: order = min(step_index + 1, 4) = 4 at global index 5, zipped with the
        // single derivative this run has; coefficient from scipy.integrate.quad over the fixture's
        // sigmas. A fresh first-order step would use -0.41256994 instead.
        assertThat(prev[0]).isCloseTo(1f - 0.6766708900923345f, within(1e-5f));
    }

    @Test
    void dpmSolverStartsAnImg2imgRunWithAFirstOrderStep() {
        SchedulerRun img2img = Schedulers.create("dpmpp_2m", SD15).start(10, 0.5);
        SchedulerRun fromScratch = Schedulers.create("dpmpp_2m", SD15).start(10, 1.0);
        float[] sample = { 0.7f, -0.2f };
        float[] modelOutput = { 0.1f, 0.3f };
        // Walk the text-to-image run to the same timestep, then compare single steps from equal state.
        for (int step = 0; step < 5; step++) {
            fromScratch.step(modelOutput, step, sample, null);
        }

        float[] first = img2img.step(modelOutput, 0, sample, null);
        float[] secondOrder = fromScratch.step(modelOutput, 5, sample, null);

        assertThat(first).isNotEqualTo(secondOrder);
        assertThat(first).containsExactly(
                Schedulers.create("dpmpp_2m", SD15).start(10, 0.5).step(modelOutput, 0, sample, null));
    }

    @Test
    void refusesStepsOutOfOrder() {
        SchedulerRun run = Schedulers.create("pndm", SD15).start(10, 1.0);

        assertThatThrownBy(() -> run.step(new float[] { 0f }, 1, new float[] { 0f }, null))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void eulerAncestralRequiresAStepNoiseDraw() {
        SchedulerRun run = Schedulers.create("euler_a", SD15).start(10, 1.0);

        assertThat(run.needsStepNoise()).isTrue();
        assertThatThrownBy(() -> run.step(new float[] { 0f }, 0, new float[] { 0f }, null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
