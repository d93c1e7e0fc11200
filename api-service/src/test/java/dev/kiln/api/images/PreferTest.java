package dev.kiln.api.images;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class PreferTest {
    @Test
    void defaultsToWaitingTheDefaultBound() {
        assertThat(Prefer.parse(null, 60, 300)).isEqualTo(new Prefer(false, Duration.ofSeconds(60), false));
    }

    @Test
    void readsRespondAsyncAndWaitAmongOtherPreferences() {
        assertThat(Prefer.parse("return=minimal, respond-async; wait=5", 60, 300))
                .isEqualTo(new Prefer(true, Duration.ofSeconds(5), true));
    }

    @Test
    void aWaitPreferenceAloneCountsAsAsked() {
        assertThat(Prefer.parse("wait=10", 300, 300).asked()).isTrue();
        assertThat(Prefer.parse("return=minimal", 300, 300).asked()).isFalse();
    }

    @Test
    void capsWaitAtTheMaximumAndIgnoresMalformedValues() {
        assertThat(Prefer.parse("wait=9999", 60, 300).maxWait()).isEqualTo(Duration.ofSeconds(300));
        assertThat(Prefer.parse("wait=soon", 60, 300).maxWait()).isEqualTo(Duration.ofSeconds(60));
    }
}
