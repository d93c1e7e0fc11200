package dev.kiln.worker.metrics;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;

import dev.kiln.diffusion.batch.PromptEmbeddingCache;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The worker's Micrometer meters (exported at {@code /q/metrics}). Names are stable: dashboards and
 * the tests read them. Consumer lag comes from the Kafka client metrics Quarkus binds
 * ({@code kafka_consumer_fetch_manager_records_lag_max}).
 */
@ApplicationScoped
public class WorkerMetrics {
    public static final String BATCH_JOBS = "kiln.worker.batch.jobs";
    public static final String BATCH_IMAGES = "kiln.worker.batch.images";
    public static final String UNET_ROWS = "kiln.worker.unet.rows";
    public static final String UNET_OCCUPANCY = "kiln.worker.unet.occupancy";
    public static final String STEP_TIME = "kiln.worker.step";
    public static final String PROMPT_CACHE_HIT_RATIO = "kiln.worker.prompt.cache.hit.ratio";
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
    private final DistributionSummary unetRows;
    private final DistributionSummary occupancy;
    private final Timer stepTime;

    public WorkerMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.batchJobs = DistributionSummary.builder(BATCH_JOBS)
                .description("Jobs with images in one UNet call").publishPercentileHistogram().register(registry);
        this.batchImages = DistributionSummary.builder(BATCH_IMAGES)
                .description("Images in one UNet call").publishPercentileHistogram().register(registry);
        this.unetRows = DistributionSummary.builder(UNET_ROWS)
                .description("Rows of requests per UNet call (an image with guidance is 2), before bucket padding")
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128).register(registry);
        this.occupancy = DistributionSummary.builder(UNET_OCCUPANCY)
                .description("Rows per UNet call over kiln.worker.batching.max-rows (1 = full)")
                .serviceLevelObjectives(0.25, 0.5, 0.75, 0.9, 1.0).register(registry);
        this.stepTime = Timer.builder(STEP_TIME)
                .description("Time per step call: input assembly, UNet, guidance, scheduler steps")
                .publishPercentileHistogram().register(registry);
        this.queueWait = Timer.builder(QUEUE_WAIT)
                .description("Time a job waited in the admission queue, from acceptance to joining the executor")
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

    /** A job left the admission queue to join the executor after {@code queueWaitNanos}. */
    public void jobDequeued(long queueWaitNanos) {
        queueWait.record(queueWaitNanos, TimeUnit.NANOSECONDS);
    }

    /** One step call: its rows (before padding), the bucket it was padded to, jobs and images in it, its time. */
    public void recordStepCall(int rows, int bucketRows, int maxRows, int jobCount, int imageCount, long nanos) {
        unetRows.record(rows);
        occupancy.record((double) rows / maxRows);
        batchJobs.record(jobCount);
        batchImages.record(imageCount);
        stepTime.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Exports the prompt-embedding cache's hit ratio (hits over lookups since start). */
    public void bindPromptCache(PromptEmbeddingCache cache) {
        Gauge.builder(PROMPT_CACHE_HIT_RATIO, cache, PromptEmbeddingCache::hitRate)
                .description("Prompt-embedding cache hits over lookups since start").register(registry);
        Gauge.builder("kiln.worker.prompt.cache.bytes", cache, PromptEmbeddingCache::bytes)
                .description("Bytes held by the prompt-embedding cache").register(registry);
    }

    /** A job was started {@code millis} after the API created it. */
    public void recordStartDelay(long millis) {
        startDelay.record(Math.max(0, millis), TimeUnit.MILLISECONDS);
    }

    /**
     * Wall time of one stage: mark_running, input, admit (tokenize, text encoder, VAE encode of the jobs joining
     * together), vae_decode, inference (a job's start to its last image decoded), then encode (PNG), upload,
     * settle.
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
