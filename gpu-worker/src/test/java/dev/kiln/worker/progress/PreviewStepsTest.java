package dev.kiln.worker.progress;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PreviewStepsTest {

    @Test
    void spreadsPreviewsEvenlyAndNeverOnTheLastStep() {
        assertThat(PreviewSteps.of(3, 30)).containsExactly(8, 15, 23);
        assertThat(PreviewSteps.of(1, 30)).containsExactly(15);
        assertThat(PreviewSteps.of(2, 31)).containsExactly(10, 21);
    }

    @Test
    void noPreviewsAskedMeansNone() {
        assertThat(PreviewSteps.of(0, 30)).isEmpty();
    }

    @Test
    void aRunTooShortGivesFewerPreviews() {
        assertThat(PreviewSteps.of(3, 2)).containsExactly(1);
        assertThat(PreviewSteps.of(3, 1)).isEmpty();
    }

    @Test
    void findsTheIndexOfAPreviewStep() {
        int[] steps = PreviewSteps.of(3, 30);
        assertThat(PreviewSteps.indexOf(steps, 15)).isEqualTo(1);
        assertThat(PreviewSteps.indexOf(steps, 16)).isEqualTo(-1);
    }
}
