package dev.kiln.api.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The watermark's bookkeeping alone (pure logic); the reconciler's use of it runs against Kafka in EnqueueReconcilerTest. */
class ConsumedWatermarkTest {
    private static final TopicPartition P0 = new TopicPartition("t", 0);
    private static final TopicPartition P1 = new TopicPartition("t", 1);

    @Test
    void isUnknownUntilTheGroupHasProcessedEverySnapshottedPartition() {
        ConsumedWatermark w = new ConsumedWatermark(10);
        w.record(1_000, Map.of(P0, 5L, P1, 7L), Map.of(P0, 5L, P1, 6L));
        assertThat(w.consumedBeforeMillis()).isZero();
    }

    @Test
    void advancesToTheNewestSnapshotTheGroupHasCommittedPast() {
        ConsumedWatermark w = new ConsumedWatermark(10);
        w.record(1_000, Map.of(P0, 5L, P1, 7L), Map.of(P0, 0L, P1, 0L));
        w.record(2_000, Map.of(P0, 9L, P1, 7L), Map.of(P0, 0L, P1, 0L));
        w.record(3_000, Map.of(P0, 12L, P1, 8L), Map.of(P0, 9L, P1, 7L));

        assertThat(w.consumedBeforeMillis()).isEqualTo(2_000);
    }

    @Test
    void neverMovesBackWhenTheGroupFallsBehindAgain() {
        ConsumedWatermark w = new ConsumedWatermark(10);
        w.record(1_000, Map.of(P0, 5L), Map.of(P0, 5L));
        w.record(2_000, Map.of(P0, 50L), Map.of(P0, 6L));

        assertThat(w.consumedBeforeMillis()).isEqualTo(1_000);
    }

    @Test
    void keepsABoundedNumberOfUnpassedSnapshots() {
        ConsumedWatermark w = new ConsumedWatermark(2);
        w.record(1_000, Map.of(P0, 1L), Map.of(P0, 0L));
        w.record(2_000, Map.of(P0, 2L), Map.of(P0, 0L));
        w.record(3_000, Map.of(P0, 3L), Map.of(P0, 0L));
        // Only the newest two unpassed snapshots are kept: 1 000 was dropped, so passing its offset advances nothing.
        w.record(4_000, Map.of(P0, 9L), Map.of(P0, 1L));
        assertThat(w.consumedBeforeMillis()).isZero();
        w.record(5_000, Map.of(P0, 9L), Map.of(P0, 3L));
        assertThat(w.consumedBeforeMillis()).isEqualTo(3_000);
    }
}
