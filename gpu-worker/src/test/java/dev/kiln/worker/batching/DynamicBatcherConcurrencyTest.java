package dev.kiln.worker.batching;

import java.util.Collections;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Many producers, one inference loop, real clock: every job comes out exactly once. */
class DynamicBatcherConcurrencyTest {

    private static final int PRODUCERS = 4;
    private static final int JOBS_PER_PRODUCER = 500;
    private static final List<CompatibilityKey> KEYS = List.of(TestJob.KEY_A, TestJob.KEY_B, TestJob.KEY_C);

    @Test
    void concurrentProducersNeverLoseOrDuplicateAJob() throws Exception {
        Map<Integer, AtomicInteger> seen = new ConcurrentHashMap<>();
        List<String> violations = Collections.synchronizedList(new ArrayList<>());
        BatchingPolicy policy = new BatchingPolicy(8, 1, 16);
        DynamicBatcher<TestJob> batcher = TestJob.batcher(policy)
                // Every seventh job is "canceled" so the drop path races with producers too.
                .dropDeadJobs(job -> job.id() % 7 == 0, job -> count(seen, job))
                .build();
        ExecutorService threads = Executors.newFixedThreadPool(PRODUCERS + 1);
        try {
            Future<Integer> loop = threads.submit(() -> {
                int batches = 0;
                while (!batcher.isTerminated()) {
                    Optional<Batch<TestJob>> batch = batcher.nextBatch(Duration.ofMillis(20));
                    if (batch.isPresent()) {
                        batches++;
                        check(batch.get(), policy, violations);
                        batch.get().jobs().forEach(job -> count(seen, job));
                    }
                }
                return batches;
            });
            List<Future<?>> producers = new ArrayList<>();
            for (int p = 0; p < PRODUCERS; p++) {
                int producer = p;
                producers.add(threads.submit(() -> {
                    for (int i = 0; i < JOBS_PER_PRODUCER; i++) {
                        int id = producer * JOBS_PER_PRODUCER + i;
                        TestJob job = new TestJob(id, KEYS.get(id % KEYS.size()), 1 + id % 3);
                        assertThat(batcher.put(job, Duration.ofMinutes(1))).isEqualTo(Admission.ACCEPTED);
                    }
                    return null;
                }));
            }
            for (Future<?> producer : producers) {
                producer.get(2, TimeUnit.MINUTES);
            }
            batcher.close();

            assertThat(loop.get(2, TimeUnit.MINUTES)).isPositive();
        } finally {
            threads.shutdownNow();
        }

        assertThat(violations).isEmpty();
        assertThat(seen).hasSize(PRODUCERS * JOBS_PER_PRODUCER);
        assertThat(seen.values()).allMatch(times -> times.get() == 1);
    }

    private static void count(Map<Integer, AtomicInteger> seen, TestJob job) {
        seen.computeIfAbsent(job.id(), id -> new AtomicInteger()).incrementAndGet();
    }

    private static void check(Batch<TestJob> batch, BatchingPolicy policy, List<String> violations) {
        if (batch.jobs().stream().anyMatch(job -> !job.compatibilityKey().equals(batch.key()))) {
            violations.add("mixed keys: " + batch);
        }
        if (batch.imageCount() > policy.maxBatchImages() && batch.jobs().size() > 1) {
            violations.add("over the cap: " + batch);
        }
        if (batch.jobs().stream().anyMatch(job -> job.id() % 7 == 0)) {
            violations.add("dead job released: " + batch);
        }
    }
}
