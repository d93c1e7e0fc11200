package dev.kiln.worker.batching;

import java.util.Optional;
import static dev.kiln.worker.batching.TestJob.a;
import static dev.kiln.worker.batching.TestJob.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** How batches are formed: compatibility, size cap, waiting, fairness. Driven by a manual clock. */
class DynamicBatcherFormingTest {

    private static final Duration POLL = Duration.ZERO;

    private final ManualClock clock = new ManualClock();
    private final DynamicBatcher<TestJob> batcher = TestJob.batcher(new BatchingPolicy(8, 50, 64))
            .nanoClock(clock)
            .build();

    @Test
    void groupsCompatibleJobsIntoOneBatch() throws Exception {
        offerAll(a(1, 2), a(2, 3), a(3, 1));
        clock.advanceMillis(50);

        Batch<TestJob> batch = batcher.nextBatch(POLL).orElseThrow();

        assertThat(ids(batch)).containsExactly(1, 2, 3);
        assertThat(batch.key()).isEqualTo(TestJob.KEY_A);
        assertThat(batch.imageCount()).isEqualTo(6);
    }

    @Test
    void neverMixesKeysInABatch() throws Exception {
        offerAll(a(1, 1), b(2, 1), a(3, 1), b(4, 1));
        clock.advanceMillis(50);

        Batch<TestJob> first = batcher.nextBatch(POLL).orElseThrow();
        Batch<TestJob> second = batcher.nextBatch(POLL).orElseThrow();

        assertThat(first.jobs()).allMatch(job -> job.compatibilityKey().equals(TestJob.KEY_A));
        assertThat(ids(first)).containsExactly(1, 3);
        assertThat(second.jobs()).allMatch(job -> job.compatibilityKey().equals(TestJob.KEY_B));
        assertThat(ids(second)).containsExactly(2, 4);
    }

    @Test
    void releasesAFullBatchWithoutWaiting() throws Exception {
        offerAll(a(1, 4), a(2, 4));

        Batch<TestJob> batch = batcher.nextBatch(POLL).orElseThrow();

        assertThat(ids(batch)).containsExactly(1, 2);
        assertThat(batch.trigger()).isEqualTo(BatchTrigger.FULL);
    }

    @Test
    void capsBatchAtMaxBatchImages() throws Exception {
        offerAll(a(1, 3), a(2, 3), a(3, 3));

        Batch<TestJob> batch = batcher.nextBatch(POLL).orElseThrow();

        assertThat(ids(batch)).containsExactly(1, 2);
        assertThat(batch.imageCount()).isEqualTo(6);
        assertThat(batcher.queuedJobs()).isEqualTo(1);
    }

    @Test
    void laterSmallerJobDoesNotOvertakeAnEarlierJobOfTheSameKey() throws Exception {
        offerAll(a(1, 5), a(2, 4), a(3, 1));

        Batch<TestJob> first = batcher.nextBatch(POLL).orElseThrow();
        clock.advanceMillis(50);
        Batch<TestJob> second = batcher.nextBatch(POLL).orElseThrow();

        assertThat(ids(first)).containsExactly(1);
        assertThat(ids(second)).containsExactly(2, 3);
    }

    @Test
    void runsAnOversizeJobAloneAndUnsplit() throws Exception {
        offerAll(a(1, 10), a(2, 1));

        Batch<TestJob> batch = batcher.nextBatch(POLL).orElseThrow();

        assertThat(ids(batch)).containsExactly(1);
        assertThat(batch.imageCount()).isEqualTo(10);
        assertThat(batch.trigger()).isEqualTo(BatchTrigger.FULL);
    }

    @Test
    void doesNotStarveAnOversizeJobBehindSmallerOnes() throws Exception {
        offerAll(a(1, 2), a(2, 10), a(3, 2), a(4, 2));

        Batch<TestJob> first = batcher.nextBatch(POLL).orElseThrow();
        Batch<TestJob> second = batcher.nextBatch(POLL).orElseThrow();

        assertThat(ids(first)).containsExactly(1);
        assertThat(ids(second)).containsExactly(2);
    }

    @Test
    void holdsAPartialBatchBeforeMaxWaitElapses() throws Exception {
        offerAll(a(1, 2));
        clock.advanceMillis(49);

        assertThat(batcher.nextBatch(POLL)).isEmpty();
        assertThat(batcher.queuedJobs()).isEqualTo(1);
    }

    @Test
    void releasesAPartialBatchOnceMaxWaitElapses() throws Exception {
        offerAll(a(1, 2), a(2, 1));
        clock.advanceMillis(50);

        Batch<TestJob> batch = batcher.nextBatch(POLL).orElseThrow();

        assertThat(ids(batch)).containsExactly(1, 2);
        assertThat(batch.trigger()).isEqualTo(BatchTrigger.MAX_WAIT_ELAPSED);
    }

    @Test
    void countsMaxWaitFromTheOldestJobsArrival() throws Exception {
        offerAll(a(1, 1));
        clock.advanceMillis(40);
        offerAll(a(2, 1));
        clock.advanceMillis(10);

        Batch<TestJob> batch = batcher.nextBatch(POLL).orElseThrow();

        assertThat(ids(batch)).containsExactly(1, 2);
    }

    @Test
    void zeroMaxWaitDispatchesWhateverIsCompatibleAtOnce() throws Exception {
        DynamicBatcher<TestJob> eager = TestJob.batcher(new BatchingPolicy(8, 0, 64))
                .nanoClock(clock).build();
        eager.offer(a(1, 1));
        eager.offer(b(2, 1));

        assertThat(ids(eager.nextBatch(POLL).orElseThrow())).containsExactly(1);
    }

    @Test
    void returnsEarlyWhenTheBatchFillsWhileTheLoopWaits() throws Exception {
        CompletableFuture<Optional<Batch<TestJob>>> waiting =
                CompletableFuture.supplyAsync(() -> unchecked(() -> batcher.nextBatch(Duration.ofHours(1))));
        offerAll(a(1, 4));
        offerAll(a(2, 4));

        // The manual clock never moves, so only a full batch can end the wait.
        Batch<TestJob> batch = waiting.get(30, TimeUnit.SECONDS).orElseThrow();

        assertThat(ids(batch)).containsExactly(1, 2);
        assertThat(batch.trigger()).isEqualTo(BatchTrigger.FULL);
    }

    @Test
    void releasesAPartialBatchWhileBlockedOnTheSystemClock() throws Exception {
        DynamicBatcher<TestJob> realTime = TestJob.batcher(new BatchingPolicy(8, 1, 64))
                .build();
        realTime.offer(a(1, 1));

        // Only the elapsed max wait can release this batch; the long timeout is a failure guard.
        Batch<TestJob> batch = realTime.nextBatch(Duration.ofSeconds(30)).orElseThrow();

        assertThat(ids(batch)).containsExactly(1);
        assertThat(batch.trigger()).isEqualTo(BatchTrigger.MAX_WAIT_ELAPSED);
    }

    @Test
    void servesKeysInOrderOfTheirOldestJob() throws Exception {
        offerAll(b(1, 1), a(2, 1), b(3, 1), a(4, 1));
        clock.advanceMillis(50);

        assertThat(ids(batcher.nextBatch(POLL).orElseThrow())).containsExactly(1, 3);
        assertThat(ids(batcher.nextBatch(POLL).orElseThrow())).containsExactly(2, 4);
    }

    @Test
    void aFullBatchOfAnotherKeyWaitsBehindTheOldestJob() throws Exception {
        offerAll(a(1, 1), b(2, 4), b(3, 4));

        assertThat(batcher.nextBatch(POLL)).isEmpty();
        clock.advanceMillis(50);
        assertThat(ids(batcher.nextBatch(POLL).orElseThrow())).containsExactly(1);
        assertThat(ids(batcher.nextBatch(POLL).orElseThrow())).containsExactly(2, 3);
    }

    @Test
    void eachBatchFollowsTheOldestRemainingJob() throws Exception {
        offerAll(a(1, 8), b(2, 5), TestJob.b(3, 5), new TestJob(4, TestJob.KEY_C, 1), b(5, 3));

        List<Integer> order = new ArrayList<>();
        clock.advanceMillis(50);
        for (int i = 0; i < 4; i++) {
            order.addAll(ids(batcher.nextBatch(POLL).orElseThrow()));
        }

        assertThat(order).containsExactly(1, 2, 3, 5, 4);
    }

    @Test
    void rejectsAJobWithoutImages() {
        assertThatThrownBy(() -> batcher.offer(a(1, 0))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void adaptsAForeignJobTypeThroughFunctions() throws Exception {
        DynamicBatcher<String> strings = DynamicBatcher
                .<String>builder(new BatchingPolicy(2, 50, 4), s -> TestJob.KEY_A, String::length)
                .nanoClock(clock).build();
        strings.offer("x");
        strings.offer("y");

        assertThat(strings.nextBatch(POLL).orElseThrow().jobs()).containsExactly("x", "y");
    }

    private void offerAll(TestJob... jobs) {
        for (TestJob job : jobs) {
            assertThat(batcher.offer(job)).isEqualTo(Admission.ACCEPTED);
        }
    }

    static List<Integer> ids(Batch<TestJob> batch) {
        return batch.jobs().stream().map(TestJob::id).toList();
    }

    interface Interruptible<T> {
        T get() throws InterruptedException;
    }

    static <T> T unchecked(Interruptible<T> call) {
        try {
            return call.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
