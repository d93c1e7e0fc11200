package dev.kiln.common.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProgressEventTest {

    @Test
    void progressMessageIsSmallSnakeCaseJson() {
        String json = ProgressEvent.progress("img_1", 3, 30, 1000L).toJson();
        assertThat(json).isEqualTo("{\"type\":\"progress\",\"job_id\":\"img_1\",\"step\":3,\"steps\":30,\"at_ms\":1000}");
    }

    @Test
    void partialImageCarriesItsPngAsBase64AndRoundTrips() {
        byte[] png = { (byte) 0x89, 'P', 'N', 'G' };
        ProgressEvent event = ProgressEvent.partialImage("img_1", 1, 15, 30, png, 64, 48, 5L);
        ProgressEvent read = ProgressEvent.fromJson(event.toJson());
        assertThat(read).isEqualTo(event);
        assertThat(read.png()).containsExactly(png);
        assertThat(read.isPartialImage()).isTrue();
    }

    @Test
    void aPartialImageStoredForPollsDropsItsBytes() {
        ProgressEvent stored = ProgressEvent.partialImage("img_1", 0, 10, 30, new byte[] { 1 }, 8, 8, 5L).asProgress();
        assertThat(stored).isEqualTo(ProgressEvent.progress("img_1", 10, 30, 5L));
    }

    @Test
    void rejectsAStepPastTheEnd() {
        assertThatThrownBy(() -> ProgressEvent.progress("img_1", 31, 30, 0L))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsMalformedMessages() {
        assertThatThrownBy(() -> ProgressEvent.fromJson("{\"type\":\"gossip\",\"job_id\":\"j\",\"step\":1,\"steps\":2}"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProgressEvent.fromJson("not json")).isInstanceOf(IllegalArgumentException.class);
    }
}
