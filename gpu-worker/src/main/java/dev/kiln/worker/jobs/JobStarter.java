package dev.kiln.worker.jobs;

import java.io.IOException;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.jobs.MarkRunningResult;
import dev.kiln.diffusion.image.ImageDecoder;
import dev.kiln.diffusion.image.RgbImage;
import dev.kiln.worker.config.WorkerConfig;
import dev.kiln.worker.health.WorkerState;
import dev.kiln.worker.metrics.WorkerMetrics;
import dev.kiln.worker.storage.MissingObjectException;
import dev.kiln.worker.storage.ObjectStore;

/**
 * Takes a job as it leaves the admission queue: marks it running (skips terminal ones — canceled, already done
 * by another delivery — and dead-letters jobs started too often) and reads its img2img input. Every job it
 * refuses leaves through the {@link SettleStage}.
 */
@ApplicationScoped
public class JobStarter {
    private static final Logger LOG = Logger.getLogger(JobStarter.class);

    private final JobSettler settler;
    private final SettleStage settle;
    private final ObjectStore store;
    private final WorkerMetrics metrics;
    private final WorkerState state;
    private final Retrier retrier;
    private final int maxAttempts;

    public JobStarter(JobSettler settler, SettleStage settle, ObjectStore store, WorkerMetrics metrics,
            WorkerState state, WorkerConfig config) {
        this.settler = settler;
        this.settle = settle;
        this.store = store;
        this.metrics = metrics;
        this.state = state;
        this.maxAttempts = config.maxAttempts();
        this.retrier = Retrier.sleeping(config.retry(), metrics::retry);
    }

    /** A started job and its decoded input (null for text-to-image). */
    public record Started(QueuedJob job, RgbImage input) {
    }

    /** The job ready to run, or null when it was settled, skipped or left unacknowledged instead. */
    public Started start(QueuedJob job) throws InterruptedException {
        long t0 = System.nanoTime();
        boolean running = markRunning(job);
        metrics.recordStage("mark_running", System.nanoTime() - t0);
        if (!running) {
            return null;
        }
        if (!job.spec().isImg2Img()) {
            return new Started(job, null);
        }
        t0 = System.nanoTime();
        RgbImage input = readInput(job);
        metrics.recordStage("input", System.nanoTime() - t0);
        return input == null ? null : new Started(job, input);
    }

    private boolean markRunning(QueuedJob job) throws InterruptedException {
        if (job.pastDeadline(System.currentTimeMillis())) {
            settle.expire(job);
            return false;
        }
        MarkRunningResult taken;
        try {
            taken = settler.markRunning(job);
        } catch (Exception e) {
            LOG.errorf(e, "could not mark job %s running; leaving it unacknowledged", job.jobId());
            metrics.failure("redis");
            metrics.jobFinished("abandoned");
            state.jobAbandoned();
            return false;
        }
        switch (taken.outcome()) {
            case TERMINAL -> settle.skip(job, "already " + taken.status().wire());
            case MISSING -> settle.skip(job, "no job record (never submitted, or expired from Redis)");
            case RUNNING -> {
                if (taken.attempts() > maxAttempts) {
                    settle.deadLetter(job, taken.attempts());
                } else {
                    metrics.recordStartDelay(System.currentTimeMillis() - job.spec().createdAtMillis());
                    return true;
                }
            }
        }
        return false;
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
}
