package dev.kiln.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Timestep grids for step counts the fixtures do not cover, against values worked out from
 * diffusers 0.21.4's formulas (leading: {@code arange(steps) * (1000 // steps) + 1}; linspace:
 * {@code np.linspace(0, 999, steps)}; DPM: {@code np.linspace(0, 999, steps + 1).round()}).
 */
class SchedulerTimestepsTest {

    private static final SchedulerConfig SD15 = SchedulerConfig.stableDiffusion15();

    private static double[] timesteps(String name, int steps) {
        return Schedulers.create(name, SD15).start(steps, 1.0).timesteps();
    }

    @Test
    void pndmRepeatsItsSecondTimestepAt25Steps() {
        double[] t = timesteps("pndm", 25);

        assertThat(t).hasSize(26);
        assertThat(t).startsWith(961, 921, 921, 881).endsWith(81, 41, 1);
    }

    @Test
    void pndmRepeatsItsSecondTimestepAt50Steps() {
        double[] t = timesteps("pndm", 50);

        assertThat(t).hasSize(51);
        assertThat(t).startsWith(981, 961, 961, 941).endsWith(41, 21, 1);
    }

    @Test
    void ddimUsesLeadingSpacingWithStepsOffset() {
        assertThat(timesteps("ddim", 25)).hasSize(25).startsWith(961, 921).endsWith(41, 1);
        assertThat(timesteps("ddim", 50)).hasSize(50).startsWith(981, 961).endsWith(21, 1);
    }

    @ParameterizedTest
    @ValueSource(strings = { "euler", "euler_a" })
    void eulerFamilyUsesFloat32LinspaceTimesteps(String name) {
        assertThat(timesteps(name, 25)).hasSize(25).startsWith(999, 957.375, 915.75).endsWith(83.25, 41.625, 0);
        assertThat(timesteps(name, 50)).hasSize(50)
                .startsWith(999, 978.6122436523438, 958.2244873046875)
                .endsWith(40.775508880615234, 20.387754440307617, 0);
    }

    @Test
    void lmsUsesFloat64LinspaceTimesteps() {
        assertThat(timesteps("lms", 50)).hasSize(50).startsWith(999, 978.6122448979593, 958.2244897959184);
    }

    @Test
    void dpmSolverRoundsALinspaceOfStepsPlusOnePoints() {
        assertThat(timesteps("dpmpp_2m", 25)).hasSize(25).startsWith(999, 959, 919, 879).endsWith(120, 80, 40);
        assertThat(timesteps("dpmpp_2m", 50)).hasSize(50).startsWith(999, 979, 959, 939).endsWith(60, 40, 20);
    }

    @ParameterizedTest
    @ValueSource(strings = { "pndm", "ddim", "euler", "euler_a", "lms", "dpmpp_2m" })
    void timestepsNeverIncrease(String name) {
        for (int steps : new int[] { 1, 7, 25, 50, 150 }) {
            double[] t = timesteps(name, steps);
            for (int i = 1; i < t.length; i++) {
                assertThat(t[i]).as("%s, %d steps, index %d", name, steps, i).isLessThanOrEqualTo(t[i - 1]);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "euler", "euler_a", "lms" })
    void sigmasFallStrictlyToZero(String name) {
        SigmaGrid grid = new SigmaGrid(NoiseSchedule.of(SD15), 50, !name.equals("lms"));
        float[] sigmas = grid.sigmas();

        assertThat(sigmas).hasSize(51);
        assertThat(sigmas[50]).isZero();
        for (int i = 1; i < sigmas.length; i++) {
            assertThat(sigmas[i]).isLessThan(sigmas[i - 1]);
        }
    }
}
