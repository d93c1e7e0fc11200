package dev.kiln.worker.jobs;

import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.jobs.OutputFormat;
import dev.kiln.common.storage.S3Keys;
import dev.kiln.worker.config.WorkerConfig;
import dev.kiln.worker.metrics.WorkerMetrics;
import dev.kiln.diffusion.GeneratedImage;
import dev.kiln.worker.output.OutputEncoder;
import dev.kiln.worker.storage.ObjectStore;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one exit for jobs leaving the worker: every outcome (images encoded in the job's output format and published,
 * failed, expired, skipped, dead-lettered) is settled here, on a small pool of its own, so the inference thread never waits on S3,
 * Redis or Kafka and batch k is published while batch k+1 runs. Bounded: the inference loop waits when
 * {@code kiln.worker.settle.max-pending-jobs} jobs are still unsettled.
 */
@ApplicationScoped
public class SettleStage {
    private static final Logger LOG = Logger.getLogger(SettleStage.class);

    private final ObjectStore store;
    private final JobSettler settler;
    private final WorkerMetrics metrics;
    private final Retrier retrier;
    private final Semaphore pending;
    private final ExecutorService pool;

    public SettleStage(ObjectStore store, JobSettler settler, WorkerMetrics metrics, WorkerConfig config) {
        this.store = store;
        this.settler = settler;
        this.metrics = metrics;
        this.retrier = Retrier.sleeping(config.retry(), metrics::retry);
        this.pending = new Semaphore(config.settle().maxPendingJobs());
        AtomicInteger n = new AtomicInteger();
        // The semaphore bounds the work handed in, so the pool's own queue never grows past it.
        this.pool = Executors.newFixedThreadPool(config.settle().threads(), r -> {
            Thread t = new Thread(r, "kiln-upload-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Publishes a job's images and settles it; blocks while the stage is full. */
    public void publish(QueuedJob job, List<GeneratedImage> images) throws InterruptedException {
        submit(job, () -> upload(job, images));
    }

    /** Settles a job as failed off the inference thread (Redis retries must not stall the GPU). */
    public void fail(QueuedJob job, String errorCode, String message) throws InterruptedException {
        submit(job, () -> settler.fail(job, errorCode, message));
    }

    /** Settles a job as expired off the inference thread. */
    public void expire(QueuedJob job) throws InterruptedException {
        submit(job, () -> settler.expire(job));
    }

    /** Acknowledges a job with nothing to record (already terminal, or no record). */
    public void skip(QueuedJob job, String why) throws InterruptedException {
        submit(job, () -> settler.skip(job, why));
    }

    /** Fails, refunds and dead-letters a job that was taken too often. */
    public void deadLetter(QueuedJob job, int attempts) throws InterruptedException {
        submit(job, () -> settler.deadLetter(job, attempts));
    }

    /** Stops taking work and waits up to {@code timeout} for the work in hand to settle. */
    public boolean drain(Duration timeout) throws InterruptedException {
        pool.shutdown();
        return pool.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void submit(QueuedJob job, Runnable work) throws InterruptedException {
        pending.acquire();
        try {
            pool.execute(() -> {
                MDC.put("jobId", job.jobId());
                try {
                    work.run();
                } catch (RuntimeException e) {
                    LOG.errorf(e, "publishing job %s failed unexpectedly; leaving it unacknowledged", job.jobId());
                } finally {
                    MDC.remove("jobId");
                    pending.release();
                }
            });
        } catch (RejectedExecutionException e) {
            pending.release();
            // Shutting down: the record stays unacknowledged and Kafka redelivers it elsewhere.
            LOG.warnf("upload stage closed; job %s left for redelivery", job.jobId());
        }
    }

    private void upload(QueuedJob job, List<GeneratedImage> images) {
        List<String> keys = new ArrayList<>(images.size());
        long encodeNanos = 0;
        long uploadNanos = 0;
        OutputEncoder encoder = new OutputEncoder();
        OutputFormat format = job.spec().outputFormatOrPng();
        int quality = job.spec().compressionQuality();
        try {
            for (int i = 0; i < images.size(); i++) {
                long t0 = System.nanoTime();
                byte[] encoded = encoder.encode(images.get(i).toRgbImage(), format, quality);
                long t1 = System.nanoTime();
                String key = S3Keys.output(job.jobId(), i, format);
                retrier.call("upload", "upload " + key, () -> {
                    store.put(key, encoded, format.contentType());
                    return null;
                });
                encodeNanos += t1 - t0;
                uploadNanos += System.nanoTime() - t1;
                keys.add(key);
            }
        } catch (Exception e) {
            metrics.failure("storage");
            settler.fail(job, ErrorCodes.BACKEND_UNAVAILABLE, "could not store the generated images: " + e.getMessage());
            return;
        }
        metrics.recordStage("encode", encodeNanos);
        metrics.recordStage("upload", uploadNanos);
        settler.succeed(job, keys);
        metrics.imagesProduced(keys.size());
    }
}
