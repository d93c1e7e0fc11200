package dev.kiln.api.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RateLimitSnapshotTest {
    @Test
    void rendersResetsAsOpenAiStyleDurations() {
        assertThat(RateLimitSnapshot.duration(20)).isEqualTo("20ms");
        assertThat(RateLimitSnapshot.duration(1_200)).isEqualTo("2s");
        assertThat(RateLimitSnapshot.duration(60_000)).isEqualTo("1m0s");
    }

    @Test
    void retryAfterIsWholeSecondsRoundedUpAndAtLeastOne() {
        assertThat(RateLimitSnapshot.retryAfterSeconds(1)).isEqualTo("1");
        assertThat(RateLimitSnapshot.retryAfterSeconds(1_001)).isEqualTo("2");
        assertThat(RateLimitSnapshot.retryAfterSeconds(0)).isEqualTo("1");
    }

    @Test
    void headersNameBothRequestAndImageLimits() {
        assertThat(new RateLimitSnapshot(60, 59, 1000, 120, 118, 1000).headers())
                .containsEntry("x-ratelimit-limit-requests", "60")
                .containsEntry("x-ratelimit-remaining-images", "118")
                .containsKey("x-ratelimit-reset-images");
    }
}
