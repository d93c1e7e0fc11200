package dev.kiln.worker.jobs;

import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.jobs.MarkRunningResult;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.worker.batching.Batch;
import dev.kiln.worker.batching.CompatibilityKey;
import dev.kiln.worker.config.WorkerConfig;
import dev.kiln.worker.health.WorkerState;
import dev.kiln.worker.metrics.WorkerMetrics;
import dev.kiln.diffusion.BatchSettings;
import dev.kiln.diffusion.DiffusionPipeline;
import dev.kiln.diffusion.GeneratedImage;
import dev.kiln.diffusion.GenerationRequest;
import dev.kiln.diffusion.GenerationResult;
import dev.kiln.diffusion.image.ImageDecoder;
import dev.kiln.diffusion.image.RgbImage;
import dev.kiln.worker.progress.ProgressPublisher;
import dev.kiln.worker.progress.ReportedJob;
import dev.kiln.worker.storage.MissingObjectException;
import dev.kiln.worker.storage.ObjectStore;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * Runs one batch on the inference thread: takes each job (markRunning: skips terminal ones —
 * canceled, already done by another delivery — and dead-letters jobs started too often), reads
 * img2img inputs, makes one pipeline call for the whole batch (reporting each job's steps to the
 * {@link ProgressPublisher}) and hands the images to the
 * {@link SettleStage}, the one exit for finished jobs. A failing batch of several jobs is retried job by job, so one bad job fails
 * alone and its batch-mates still succeed.
 */
@ApplicationScoped
public class BatchRunner {
    private static final Logger LOG = Logger.getLogger(BatchRunner.class);

    private final JobSettler settler;
    private final SettleStage settle;
    private final ObjectStore store;
    private final WorkerMetrics metrics;
    private final WorkerState state;
    private final Retrier retrier;
    private final ProgressPublisher progress;
    private final int maxAttempts;

    public BatchRunner(JobSettler settler, SettleStage settle, ObjectStore store, WorkerMetrics metrics,
                       WorkerState state, WorkerConfig config, ProgressPublisher progress) {
        this.settler = settler;
        this.progress = progress;
        this.settle = settle;
        this.store = store;
        this.metrics = metrics;
        this.state = state;
        this.maxAttempts = config.maxAttempts();
        this.retrier = Retrier.sleeping(config.retry(), metrics::retry);
    }

    /**
     * @param stopNow polled between denoising steps: true abandons the batch (its records stay
     *                unacknowledged and are redelivered)
     */
    public void run(DiffusionPipeline pipeline, Batch<QueuedJob> batch, BooleanSupplier stopNow)
            throws InterruptedException {
        long t0 = System.nanoTime();
        List<QueuedJob> started = start(batch.jobs());
        metrics.recordStage("mark_running", System.nanoTime() - t0);
        if (started.isEmpty()) {
            return;
        }
        t0 = System.nanoTime();
        Map<QueuedJob, RgbImage> inputs = new IdentityHashMap<>();
        List<QueuedJob> ready = new ArrayList<>();
        for (QueuedJob job : started) {
            if (!job.spec().isImg2Img()) {
                ready.add(job);
                continue;
            }
            RgbImage input = readInput(job);
            if (input != null) {
                inputs.put(job, input);
                ready.add(job);
            }
        }
        metrics.recordStage("input", System.nanoTime() - t0);
        if (!ready.isEmpty()) {
            generate(pipeline, batch.key(), ready, inputs, stopNow);
        }
    }

    private List<QueuedJob> start(List<QueuedJob> jobs) throws InterruptedException {
        List<QueuedJob> started = new ArrayList<>(jobs.size());
        for (QueuedJob job : jobs) {
            if (job.pastDeadline(System.currentTimeMillis())) {
                settle.expire(job);
                continue;
            }
            MarkRunningResult taken;
            try {
                taken = settler.markRunning(job);
            } catch (Exception e) {
                LOG.errorf(e, "could not mark job %s running; leaving it unacknowledged", job.jobId());
                metrics.failure("redis");
                metrics.jobFinished("abandoned");
                state.jobAbandoned();
                continue;
            }
            switch (taken.outcome()) {
                case TERMINAL -> settle.skip(job, "already " + taken.status().wire());
                case MISSING -> settle.skip(job, "no job record (never submitted, or expired from Redis)");
                case RUNNING -> {
                    if (taken.attempts() > maxAttempts) {
                        settle.deadLetter(job, taken.attempts());
                    } else {
                        metrics.recordStartDelay(System.currentTimeMillis() - job.spec().createdAtMillis());
                        started.add(job);
                    }
                }
            }
        }
        return started;
    }

    /** The decoded input image, or null when the job was failed (missing or unreadable input). */
    private RgbImage readInput(QueuedJob job) throws InterruptedException {
        String key = job.spec().inputKey();
        byte[] bytes;
        try {
            bytes = retrier.call("read_input", "read input " + key, () -> store.get(key));
        } catch (MissingObjectException e) {
            metrics.failure("input_missing");
            settle.fail(job, ErrorCodes.INVALID_IMAGE, "input image unavailable: " + e.getMessage());
            return null;
        } catch (Exception e) {
            metrics.failure("storage");
            settle.fail(job, ErrorCodes.BACKEND_UNAVAILABLE, "could not read the input image: " + e.getMessage());
            return null;
        }
        try {
            return ImageDecoder.decode(bytes);
        } catch (IOException | RuntimeException e) {
            metrics.failure("invalid_image");
            settle.fail(job, ErrorCodes.INVALID_IMAGE, "input image could not be decoded: " + e.getMessage());
            return null;
        }
    }

    private void generate(DiffusionPipeline pipeline, CompatibilityKey key, List<QueuedJob> jobs,
                          Map<QueuedJob, RgbImage> inputs, BooleanSupplier stopNow) throws InterruptedException {
        JobSpec first = jobs.get(0).spec();
        double strength = first.isImg2Img() ? first.strength() : 1.0;
        BatchSettings settings = new BatchSettings(first.width(), first.height(), first.steps(), strength,
                first.scheduler(), key.guided());
        List<GenerationRequest> requests = new ArrayList<>();
        Map<GenerationRequest, ReportedJob> firstImages = new IdentityHashMap<>();
        for (QueuedJob job : jobs) {
            List<GenerationRequest> own = requests(job.spec(), inputs.get(job));
            JobSpec spec = job.spec();
            firstImages.put(own.get(0), new ReportedJob(spec.accountId(), spec.jobId(), spec.partialImageCount(),
                    spec.width(), spec.height()));
            requests.addAll(own);
        }
        int images = requests.size();
        GenerationResult result;
        long t0 = System.nanoTime();
        try {
            result = pipeline.generate(settings, requests,
                    () -> stopNow.getAsBoolean() || allPastDeadline(jobs), progress.listenerFor(firstImages));
        } catch (CancellationException e) {
            if (stopNow.getAsBoolean()) {
                LOG.warnf("batch of %d jobs abandoned at shutdown; Kafka redelivers it", jobs.size());
                return;
            }
            for (QueuedJob job : jobs) {
                settle.expire(job);
            }
            return;
        } catch (RuntimeException e) {
            if (jobs.size() > 1) {
                LOG.warnf("batch of %d jobs failed (%s); running them one by one", jobs.size(), e.getMessage());
                for (QueuedJob job : jobs) {
                    generate(pipeline, key, List.of(job), inputs, stopNow);
                }
                return;
            }
            LOG.errorf(e, "job %s failed in the pipeline", jobs.get(0).jobId());
            metrics.failure("pipeline");
            settle.fail(jobs.get(0), ErrorCodes.JOB_FAILED, "image generation failed: " + e.getMessage());
            return;
        }
        metrics.recordStage("inference", System.nanoTime() - t0);
        metrics.recordPipelineTimings(result.timings());
        metrics.recordBatchRun(jobs.size(), images);
        LOG.infof("batch of %d jobs / %d images ran in %d ms", jobs.size(), images,
                (System.nanoTime() - t0) / 1_000_000);
        int next = 0;
        for (QueuedJob job : jobs) {
            List<GeneratedImage> produced = new ArrayList<>(job.spec().n());
            for (int i = 0; i < job.spec().n(); i++) {
                produced.addAll(result.images(next++));
            }
            settle.publish(job, produced);
        }
    }

    /**
     * One request per image: image {@code i} of a job uses seed {@code seed + i} (JobSpec's
     * contract), so it is the image a one-image job with that seed would get.
     */
    static List<GenerationRequest> requests(JobSpec spec, RgbImage input) {
        List<GenerationRequest> out = new ArrayList<>(spec.n());
        for (int i = 0; i < spec.n(); i++) {
            out.add(new GenerationRequest(spec.prompt() == null ? "" : spec.prompt(), spec.negativePrompt(),
                    spec.guidanceScale(), 1, spec.seed() + i, input, null));
        }
        return out;
    }

    private static boolean allPastDeadline(List<QueuedJob> jobs) {
        long now = System.currentTimeMillis();
        for (QueuedJob job : jobs) {
            if (!job.pastDeadline(now)) {
                return false;
            }
        }
        return true;
    }
}
