package dev.kiln.worker.batching;

import static dev.kiln.worker.batching.TestJob.a;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Canceled and expired jobs are dropped before a batch is released and reported once. */
class DynamicBatcherDeadJobsTest {

    private final ManualClock clock = new ManualClock();
    private final Set<Integer> canceled = ConcurrentHashMap.newKeySet();
    private final Map<Integer, Long> deadlineNanos = new ConcurrentHashMap<>();
    private final List<Integer> dropped = new CopyOnWriteArrayList<>();
    private final DynamicBatcher<TestJob> batcher = TestJob.batcher(new BatchingPolicy(8, 50, 64))
            .nanoClock(clock)
            .dropDeadJobs(this::isDead, job -> dropped.add(job.id()))
            .build();

    private boolean isDead(TestJob job) {
        Long deadline = deadlineNanos.get(job.id());
        return canceled.contains(job.id()) || (deadline != null && clock.getAsLong() >= deadline);
    }

    @Test
    void dropsACanceledJobAndReportsIt() throws Exception {
        batcher.offer(a(1, 1));
        batcher.offer(a(2, 1));
        canceled.add(1);
        clock.advanceMillis(50);

        Batch<TestJob> batch = batcher.nextBatch(Duration.ZERO).orElseThrow();

        assertThat(DynamicBatcherFormingTest.ids(batch)).containsExactly(2);
        assertThat(dropped).containsExactly(1);
    }

    @Test
    void dropsAJobThatExpiresWhileItWaitsForItsBatch() throws Exception {
        batcher.offer(a(1, 1));
        deadlineNanos.put(1, clock.getAsLong() + Duration.ofMillis(30).toNanos());
        batcher.offer(a(2, 1));
        assertThat(batcher.nextBatch(Duration.ZERO)).isEmpty();
        assertThat(dropped).isEmpty();

        clock.advanceMillis(50);
        Batch<TestJob> batch = batcher.nextBatch(Duration.ZERO).orElseThrow();

        assertThat(DynamicBatcherFormingTest.ids(batch)).containsExactly(2);
        assertThat(dropped).containsExactly(1);
    }

    @Test
    void reportsDeadJobsEvenWhenNoBatchIsReady() throws Exception {
        batcher.offer(a(1, 1));
        canceled.add(1);

        assertThat(batcher.nextBatch(Duration.ZERO)).isEmpty();
        assertThat(dropped).containsExactly(1);
        assertThat(batcher.queuedJobs()).isZero();
    }

    @Test
    void aDroppedOldestJobNoLongerHoldsBackTheNextKey() throws Exception {
        batcher.offer(a(1, 1));
        batcher.offer(TestJob.b(2, 4));
        batcher.offer(TestJob.b(3, 4));
        canceled.add(1);

        Batch<TestJob> batch = batcher.nextBatch(Duration.ZERO).orElseThrow();

        assertThat(DynamicBatcherFormingTest.ids(batch)).containsExactly(2, 3);
    }

    @Test
    void reportsEachDeadJobOnce() throws Exception {
        batcher.offer(a(1, 1));
        canceled.add(1);
        batcher.nextBatch(Duration.ZERO);
        batcher.nextBatch(Duration.ZERO);

        assertThat(dropped).containsExactly(1);
    }

    @Test
    void keepsAJobWhosePredicateThrows() throws Exception {
        DynamicBatcher<TestJob> broken = TestJob.batcher(new BatchingPolicy(8, 0, 64))
                .nanoClock(clock)
                .dropDeadJobs(job -> { throw new IllegalStateException("boom"); }, job -> dropped.add(job.id()))
                .build();
        broken.offer(a(1, 1));

        assertThat(DynamicBatcherFormingTest.ids(broken.nextBatch(Duration.ZERO).orElseThrow()))
                .containsExactly(1);
        assertThat(dropped).isEmpty();
    }
}
