package dev.kiln.worker.batching;

import static dev.kiln.worker.batching.TestJob.a;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The queue bound: counted in jobs, enforced by offer and put. */
class DynamicBatcherBackPressureTest {

    private final ManualClock clock = new ManualClock();
    private final DynamicBatcher<TestJob> batcher = TestJob.batcher(new BatchingPolicy(8, 50, 2))
            .nanoClock(clock)
            .build();

    @Test
    void offerFailsWhenTheQueueHoldsMaxQueuedJobs() {
        batcher.offer(a(1, 1));
        batcher.offer(a(2, 1));

        assertThat(batcher.offer(a(3, 1))).isEqualTo(Admission.QUEUE_FULL);
        assertThat(batcher.queuedJobs()).isEqualTo(2);
    }

    @Test
    void boundCountsJobsNotImages() {
        assertThat(batcher.offer(a(1, 10))).isEqualTo(Admission.ACCEPTED);
        assertThat(batcher.offer(a(2, 10))).isEqualTo(Admission.ACCEPTED);
    }

    @Test
    void putGivesUpWhenTheQueueStaysFullForTheTimeout() throws Exception {
        batcher.offer(a(1, 1));
        batcher.offer(a(2, 1));

        assertThat(batcher.put(a(3, 1), Duration.ZERO)).isEqualTo(Admission.QUEUE_FULL);
    }

    @Test
    void putUnblocksWhenTheLoopTakesABatch() throws Exception {
        batcher.offer(a(1, 1));
        batcher.offer(a(2, 1));
        CompletableFuture<Admission> blocked = CompletableFuture.supplyAsync(
                () -> DynamicBatcherFormingTest.unchecked(() -> batcher.put(a(3, 1), Duration.ofHours(1))));
        awaitBlockedProducers(1);
        assertThat(blocked).isNotDone();

        clock.advanceMillis(50);
        Batch<TestJob> batch = batcher.nextBatch(Duration.ZERO).orElseThrow();

        assertThat(blocked.get(30, TimeUnit.SECONDS)).isEqualTo(Admission.ACCEPTED);
        assertThat(DynamicBatcherFormingTest.ids(batch)).containsExactly(1, 2);
        assertThat(batcher.queuedJobs()).isEqualTo(1);
    }

    @Test
    void droppingADeadJobFreesRoomForABlockedProducer() throws Exception {
        DynamicBatcher<TestJob> dropping = TestJob.batcher(new BatchingPolicy(8, 50, 1))
                .nanoClock(clock)
                .dropDeadJobs(job -> job.id() == 1, job -> { })
                .build();
        dropping.offer(a(1, 1));
        CompletableFuture<Admission> blocked = CompletableFuture.supplyAsync(
                () -> DynamicBatcherFormingTest.unchecked(() -> dropping.put(a(2, 1), Duration.ofHours(1))));
        while (dropping.blockedProducers() < 1) {
            Thread.onSpinWait();
        }

        assertThat(dropping.nextBatch(Duration.ZERO)).isEmpty();

        assertThat(blocked.get(30, TimeUnit.SECONDS)).isEqualTo(Admission.ACCEPTED);
    }

    private void awaitBlockedProducers(int count) {
        // Proves the producer really waits on back-pressure before the loop frees room.
        while (batcher.blockedProducers() < count) {
            Thread.onSpinWait();
        }
    }
}
