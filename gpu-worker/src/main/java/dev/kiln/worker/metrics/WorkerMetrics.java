package dev.kiln.worker.metrics;

import dev.kiln.worker.batching.BatchTrigger;
import dev.kiln.worker.batching.BatchingListener;
import dev.kiln.worker.batching.CompatibilityKey;
import dev.kiln.diffusion.StageTimings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.List;
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
    public static final String START_DELAY = "kiln.worker.start.delay";
    public static final String STAGE = "kiln.worker.stage";
    public static final String IMAGES = "kiln.worker.images";
    public static final String FAILURES = "kiln.worker.failures";
    public static final String JOBS = "kiln.worker.jobs";
    public static final String RETRIES = "kiln.worker.retries";

    /** Every {@code cause} of {@link #FAILURES}; registered at start so each series exists at 0. */
    public static final List<String> FAILURE_CAUSES = List.of("malformed", "invalid_spec", "input_missing",
            "invalid_image", "pipeline", "storage", "redis", "attempts");
    /** Every {@code outcome} of {@link #JOBS}. */
    public static final List<String> JOB_OUTCOMES = List.of("succeeded", "failed", "expired", "skipped",
            "dead_lettered", "abandoned");
    /** Every {@code operation} of {@link #RETRIES}. */
    public static final List<String> RETRIED_OPERATIONS = List.of("read_input", "upload", "mark_running", "settle");

    private final MeterRegistry registry;
    private final DistributionSummary batchJobs;
    private final DistributionSummary batchImages;
    private final Timer queueWait;
    private final Timer startDelay;
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
        this.startDelay = Timer.builder(START_DELAY)
                .description("Time from the API's submit (job created_at) to the worker starting the job; "
                        + "includes Kafka and batcher time, and any clock skew between the hosts")
                .publishPercentileHistogram().register(registry);
        this.images = Counter.builder(IMAGES).description("Images generated and uploaded (rate() = images/s)")
                .register(registry);
        // Zero-valued series from the start: rate() and alerts work before the first failure.
        FAILURE_CAUSES.forEach(cause -> failureCounter(cause));
        JOB_OUTCOMES.forEach(outcome -> jobCounter(outcome));
        RETRIED_OPERATIONS.forEach(operation -> retryCounter(operation));
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

    /** A job was started {@code millis} after the API created it. */
    public void recordStartDelay(long millis) {
        startDelay.record(Math.max(0, millis), TimeUnit.MILLISECONDS);
    }

    /** The pipeline's own stages of one batch, as {@code kiln.worker.stage{stage=...}}. */
    public void recordPipelineTimings(StageTimings timings) {
        recordStage("tokenize", timings.tokenizeNanos());
        recordStage("text_encoder", timings.textEncoderNanos());
        recordStage("vae_encode", timings.vaeEncodeNanos());
        recordStage("unet", timings.unetTotalNanos());
        recordStage("vae_decode", timings.vaeDecodeNanos());
    }

    /**
     * Wall time of one stage: mark_running, input, inference (the whole pipeline call), the pipeline's
     * tokenize, text_encoder, vae_encode, unet, vae_decode, then encode (PNG), upload, settle.
     */
    public void recordStage(String stage, long nanos) {
        Timer.builder(STAGE).tag("stage", stage).publishPercentileHistogram().register(registry)
                .record(Duration.ofNanos(nanos));
    }

    public void imagesProduced(int count) {
        images.increment(count);
    }

    /** A failure by cause: malformed, invalid_spec, input_missing, pipeline, storage, redis, attempts. */
    public void failure(String cause) {
        failureCounter(cause).increment();
    }

    /** A Redis or S3 call failed retryably and is tried again: read_input, upload, mark_running, settle. */
    public void retry(String operation) {
        retryCounter(operation).increment();
    }

    /** A job left the worker: succeeded, failed, expired, skipped, dead_lettered, abandoned. */
    public void jobFinished(String outcome) {
        jobCounter(outcome).increment();
    }

    private Counter failureCounter(String cause) {
        return Counter.builder(FAILURES).description("Job failures by cause").tag("cause", cause).register(registry);
    }

    private Counter jobCounter(String outcome) {
        return Counter.builder(JOBS).description("Jobs that left the worker, by outcome").tag("outcome", outcome)
                .register(registry);
    }

    private Counter retryCounter(String operation) {
        return Counter.builder(RETRIES).description("Redis/S3 calls retried after an outage or timeout, by operation")
                .tag("operation", operation).register(registry);
    }
}
