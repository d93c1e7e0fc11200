package dev.kiln.worker.batching;

import static dev.kiln.worker.batching.TestJob.a;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The metrics hooks see batch sizes and per-job queue waits. */
class DynamicBatcherListenerTest {

    private final ManualClock clock = new ManualClock();
    private final List<String> batches = new CopyOnWriteArrayList<>();
    private final List<Long> waitsNanos = new CopyOnWriteArrayList<>();
    private final List<Long> droppedWaitsNanos = new CopyOnWriteArrayList<>();
    private final DynamicBatcher<TestJob> batcher = TestJob.batcher(new BatchingPolicy(8, 50, 64))
            .nanoClock(clock)
            .dropDeadJobs(job -> job.id() == 99, job -> { })
            .listener(new BatchingListener() {
                @Override
                public void batchReleased(CompatibilityKey key, int jobCount, int imageCount, BatchTrigger trigger) {
                    batches.add(jobCount + " jobs/" + imageCount + " images/" + trigger);
                }

                @Override
                public void jobDequeued(long queueWaitNanos) {
                    waitsNanos.add(queueWaitNanos);
                }

                @Override
                public void jobDropped(long queueWaitNanos) {
                    droppedWaitsNanos.add(queueWaitNanos);
                }
            })
            .build();

    @Test
    void reportsBatchSizeAndTrigger() throws Exception {
        batcher.offer(a(1, 2));
        batcher.offer(a(2, 3));
        clock.advanceMillis(50);

        batcher.nextBatch(Duration.ZERO).orElseThrow();

        assertThat(batches).containsExactly("2 jobs/5 images/MAX_WAIT_ELAPSED");
    }

    @Test
    void reportsEachJobsQueueWait() throws Exception {
        batcher.offer(a(1, 1));
        clock.advanceMillis(20);
        batcher.offer(a(2, 1));
        clock.advanceMillis(30);

        batcher.nextBatch(Duration.ZERO).orElseThrow();

        assertThat(waitsNanos).containsExactly(Duration.ofMillis(50).toNanos(), Duration.ofMillis(30).toNanos());
    }

    @Test
    void reportsDroppedJobsQueueWait() throws Exception {
        batcher.offer(a(99, 1));
        clock.advanceMillis(7);

        batcher.nextBatch(Duration.ZERO);

        assertThat(droppedWaitsNanos).containsExactly(Duration.ofMillis(7).toNanos());
    }

    @Test
    void aThrowingListenerDoesNotLoseTheBatch() throws Exception {
        DynamicBatcher<TestJob> withBrokenListener = TestJob.batcher(new BatchingPolicy(8, 0, 64))
                .nanoClock(clock)
                .listener(new BatchingListener() {
                    @Override
                    public void jobDequeued(long queueWaitNanos) {
                        throw new IllegalStateException("metrics down");
                    }
                })
                .build();
        withBrokenListener.offer(a(1, 1));

        assertThat(withBrokenListener.nextBatch(Duration.ZERO)).isPresent();
    }
}
