package dev.kiln.worker.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CompatibilityKeyTest {

    @Test
    void strengthsImplyingTheSameStartStepAreCompatible() {
        // int(20 * 0.70) = 14 = int(20 * 0.74)
        assertThat(CompatibilityKey.of("sd", CompatibilityKey.Mode.IMAGE_TO_IMAGE, 512, 512, 20, 0.70, "pndm", 7.5))
                .isEqualTo(CompatibilityKey.of("sd", CompatibilityKey.Mode.IMAGE_TO_IMAGE, 512, 512, 20, 0.74, "pndm", 7.5));
    }

    @Test
    void strengthsImplyingDifferentStartStepsAreNotCompatible() {
        assertThat(CompatibilityKey.of("sd", CompatibilityKey.Mode.IMAGE_TO_IMAGE, 512, 512, 20, 0.70, "pndm", 7.5))
                .isNotEqualTo(CompatibilityKey.of("sd", CompatibilityKey.Mode.IMAGE_TO_IMAGE, 512, 512, 20, 0.75, "pndm", 7.5));
    }

    @Test
    void executedStepsTruncateLikeDiffusers() {
        assertThat(CompatibilityKey.executedSteps(50, 0.75)).isEqualTo(37);
        assertThat(CompatibilityKey.executedSteps(20, 0.3)).isEqualTo(6);
        assertThat(CompatibilityKey.executedSteps(7, 0.99)).isEqualTo(6);
    }

    @Test
    void fullStrengthRunsEveryStep() {
        assertThat(CompatibilityKey.executedSteps(25, 1.0)).isEqualTo(25);
    }

    @Test
    void zeroStrengthRunsNoStep() {
        assertThat(CompatibilityKey.executedSteps(25, 0.0)).isZero();
    }

    @Test
    void rejectsStrengthAboveOne() {
        assertThatThrownBy(() -> CompatibilityKey.executedSteps(20, 1.01))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsNanStrength() {
        assertThatThrownBy(() -> CompatibilityKey.executedSteps(20, Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void guidanceScalesAboveOneShareAKey() {
        assertThat(CompatibilityKey.of("sd", CompatibilityKey.Mode.IMAGE_TO_IMAGE, 512, 512, 20, 0.75, "pndm", 7.5))
                .isEqualTo(CompatibilityKey.of("sd", CompatibilityKey.Mode.IMAGE_TO_IMAGE, 512, 512, 20, 0.75, "pndm", 3.0));
    }

    @Test
    void guidanceOnAndOffDoNotShareAKey() {
        CompatibilityKey unguided = CompatibilityKey.of("sd", CompatibilityKey.Mode.IMAGE_TO_IMAGE, 512, 512, 20, 0.75, "pndm",
                1.0);
        assertThat(unguided.guided()).isFalse();
        assertThat(unguided)
                .isNotEqualTo(CompatibilityKey.of("sd", CompatibilityKey.Mode.IMAGE_TO_IMAGE, 512, 512, 20, 0.75, "pndm", 1.5));
    }

    @Test
    void differentSchedulersDoNotShareAKey() {
        assertThat(CompatibilityKey.of("sd", CompatibilityKey.Mode.IMAGE_TO_IMAGE, 512, 512, 20, 0.75, "pndm", 7.5))
                .isNotEqualTo(CompatibilityKey.of("sd", CompatibilityKey.Mode.IMAGE_TO_IMAGE, 512, 512, 20, 0.75, "ddim", 7.5));
    }

    @Test
    void differentSizesDoNotShareAKey() {
        assertThat(CompatibilityKey.of("sd", CompatibilityKey.Mode.IMAGE_TO_IMAGE, 512, 512, 20, 0.75, "pndm", 7.5))
                .isNotEqualTo(CompatibilityKey.of("sd", CompatibilityKey.Mode.IMAGE_TO_IMAGE, 512, 768, 20, 0.75, "pndm", 7.5));
    }

    @Test
    void rejectsExecutedStepsBeyondSteps() {
        assertThatThrownBy(
                () -> new CompatibilityKey("sd", CompatibilityKey.Mode.IMAGE_TO_IMAGE, 512, 512, 20, 21, "pndm", true))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
