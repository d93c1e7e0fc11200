package dev.kiln.worker.metrics;

import dev.kiln.worker.batching.BatchTrigger;
import dev.kiln.worker.batching.BatchingListener;
import dev.kiln.worker.batching.CompatibilityKey;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The worker's Micrometer meters (exported at {@code /q/metrics}). Names are stable: dashboards and
 * the tests read them. Consumer lag comes from the Kafka client metrics Quarkus binds
 * ({@code kafka_consumer_fetch_manager_records_lag_max}).
 */
@ApplicationScoped
public class WorkerMetrics implements BatchingListener {
    public static final String BATCH_JOBS = "kiln.worker.batch.jobs";
    public static final String BATCH_IMAGES = "kiln.worker.batch.images";
    public static final String QUEUE_WAIT = "kiln.worker.queue.wait";
    public static final String STAGE = "kiln.worker.stage";
    public static final String IMAGES = "kiln.worker.images";
    public static final String FAILURES = "kiln.worker.failures";
    public static final String JOBS = "kiln.worker.jobs";

    private final MeterRegistry registry;
    private final DistributionSummary batchJobs;
    private final DistributionSummary batchImages;
    private final Timer queueWait;
    private final Counter images;

    public WorkerMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.batchJobs = DistributionSummary.builder(BATCH_JOBS)
                .description("Jobs per pipeline batch").publishPercentileHistogram().register(registry);
        this.batchImages = DistributionSummary.builder(BATCH_IMAGES)
                .description("Images per pipeline batch").publishPercentileHistogram().register(registry);
        this.queueWait = Timer.builder(QUEUE_WAIT)
                .description("Time a job waited in the batcher, from acceptance to its batch's release")
                .publishPercentileHistogram().register(registry);
        this.images = Counter.builder(IMAGES).description("Images generated and uploaded (rate() = images/s)")
                .register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    @Override
    public void jobDequeued(long queueWaitNanos) {
        queueWait.record(queueWaitNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void batchReleased(CompatibilityKey key, int jobCount, int imageCount, BatchTrigger trigger) {
        // Recorded when the pipeline actually runs (recordBatchRun): released batches can shrink.
    }

    /** One pipeline call over {@code jobCount} jobs and {@code imageCount} images. */
    public void recordBatchRun(int jobCount, int imageCount) {
        batchJobs.record(jobCount);
        batchImages.record(imageCount);
    }

    /** Wall time of one stage: mark_running, input, inference, encode, upload, settle. */
    public void recordStage(String stage, long nanos) {
        Timer.builder(STAGE).tag("stage", stage).publishPercentileHistogram().register(registry)
                .record(Duration.ofNanos(nanos));
    }

    public void imagesProduced(int count) {
        images.increment(count);
    }

    /** A failure by cause: malformed, invalid_spec, input_missing, pipeline, storage, redis, attempts. */
    public void failure(String cause) {
        Counter.builder(FAILURES).tag("cause", cause).register(registry).increment();
    }

    /** A job left the worker: succeeded, failed, expired, skipped, dead_lettered, abandoned. */
    public void jobFinished(String outcome) {
        Counter.builder(JOBS).tag("outcome", outcome).register(registry).increment();
    }
}
