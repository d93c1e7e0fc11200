package dev.kiln.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * LMS coefficients by Gauss–Legendre quadrature against {@code scipy.integrate.quad} (what
 * diffusers calls) on SD 1.5's 10-step sigmas.
 */
class LmsSchedulerCoefficientTest {

    private static final float[] SIGMAS = new LmsScheduler(SchedulerConfig.stableDiffusion15()).grid(10).sigmas();

    @Test
    void firstOrderCoefficientIsTheSigmaInterval() {
        assertThat(LmsScheduler.coefficient(SIGMAS, 1, 5, 0))
                .isCloseTo((double) SIGMAS[6] - SIGMAS[5], within(1e-12))
                .isCloseTo(-0.41256994009017944, within(1e-6));
    }

    @Test
    void fourthOrderCoefficientsMatchScipyQuad() {
        double[] scipy = { -0.6766708900923345, 0.357871097700674, -0.10326071230464487, 0.009490564606126016 };

        for (int c = 0; c < 4; c++) {
            assertThat(LmsScheduler.coefficient(SIGMAS, 4, 5, c)).as("current order %d", c)
                    .isCloseTo(scipy[c], within(Math.abs(scipy[c]) * 1e-5));
        }
    }

    @Test
    void secondOrderCoefficientsMatchScipyQuad() {
        assertThat(LmsScheduler.coefficient(SIGMAS, 2, 1, 0)).isCloseTo(-4.001030146626721, within(4e-5));
        assertThat(LmsScheduler.coefficient(SIGMAS, 2, 1, 1)).isCloseTo(0.7703210706989868, within(1e-5));
    }
}
