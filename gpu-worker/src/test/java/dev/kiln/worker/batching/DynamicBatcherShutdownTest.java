package dev.kiln.worker.batching;

import java.util.Optional;
import static dev.kiln.worker.batching.DynamicBatcherFormingTest.ids;
import static dev.kiln.worker.batching.DynamicBatcherFormingTest.unchecked;
import static dev.kiln.worker.batching.TestJob.a;
import static dev.kiln.worker.batching.TestJob.b;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Graceful close (drain) and shutdownNow (hand back). */
class DynamicBatcherShutdownTest {

    private final ManualClock clock = new ManualClock();
    private final DynamicBatcher<TestJob> batcher = TestJob.batcher(new BatchingPolicy(8, 50, 2))
            .nanoClock(clock)
            .build();

    @Test
    void rejectsNewJobsOnceClosed() throws Exception {
        batcher.close();

        assertThat(batcher.offer(a(1, 1))).isEqualTo(Admission.CLOSED);
        assertThat(batcher.put(a(2, 1), Duration.ofHours(1))).isEqualTo(Admission.CLOSED);
    }

    @Test
    void drainsQueuedJobsWithoutWaitingForMaxWait() throws Exception {
        batcher.offer(a(1, 1));
        batcher.offer(b(2, 1));
        batcher.close();

        Batch<TestJob> first = batcher.nextBatch(Duration.ZERO).orElseThrow();
        Batch<TestJob> second = batcher.nextBatch(Duration.ZERO).orElseThrow();

        assertThat(ids(first)).containsExactly(1);
        assertThat(first.trigger()).isEqualTo(BatchTrigger.DRAINING);
        assertThat(ids(second)).containsExactly(2);
        assertThat(batcher.isTerminated()).isTrue();
    }

    @Test
    void returnsEmptyImmediatelyOnceClosedAndDrained() throws Exception {
        batcher.close();

        // A manual clock never times out a wait, so a result proves it did not wait.
        assertThat(batcher.nextBatch(Duration.ofHours(1))).isEmpty();
        assertThat(batcher.isTerminated()).isTrue();
    }

    @Test
    void isNotTerminatedWhileClosedWithJobsQueued() {
        batcher.offer(a(1, 1));
        batcher.close();

        assertThat(batcher.isClosed()).isTrue();
        assertThat(batcher.isTerminated()).isFalse();
    }

    @Test
    void closeWakesALoopWaitingForABatchToFill() throws Exception {
        batcher.offer(a(1, 1));
        CompletableFuture<Optional<Batch<TestJob>>> waiting =
                CompletableFuture.supplyAsync(() -> unchecked(() -> batcher.nextBatch(Duration.ofHours(1))));

        batcher.close();

        Batch<TestJob> batch = waiting.get(30, TimeUnit.SECONDS).orElseThrow();
        assertThat(ids(batch)).containsExactly(1);
    }

    @Test
    void closeWakesABlockedProducerWithClosed() throws Exception {
        batcher.offer(a(1, 1));
        batcher.offer(a(2, 1));
        CompletableFuture<Admission> blocked =
                CompletableFuture.supplyAsync(() -> unchecked(() -> batcher.put(a(3, 1), Duration.ofHours(1))));
        while (batcher.blockedProducers() < 1) {
            Thread.onSpinWait();
        }

        batcher.close();

        assertThat(blocked.get(30, TimeUnit.SECONDS)).isEqualTo(Admission.CLOSED);
        assertThat(batcher.queuedJobs()).isEqualTo(2);
    }

    @Test
    void shutdownNowHandsBackQueuedJobsInArrivalOrder() throws Exception {
        batcher.offer(b(1, 1));
        batcher.offer(a(2, 1));

        assertThat(batcher.shutdownNow()).extracting(TestJob::id).containsExactly(1, 2);
        assertThat(batcher.nextBatch(Duration.ZERO)).isEmpty();
        assertThat(batcher.isTerminated()).isTrue();
        assertThat(batcher.offer(a(3, 1))).isEqualTo(Admission.CLOSED);
    }
}
