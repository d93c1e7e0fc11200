package dev.kiln.worker.jobs;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.jobs.OutputFormat;
import dev.kiln.common.storage.S3Keys;
import dev.kiln.diffusion.GeneratedImage;
import dev.kiln.worker.config.WorkerConfig;
import dev.kiln.worker.metrics.WorkerMetrics;
import dev.kiln.worker.output.OutputEncoder;
import dev.kiln.worker.storage.ObjectStore;

/**
 * The one exit for jobs leaving the worker: every outcome (images encoded in the job's output format and published,
 * failed, expired, skipped, dead-lettered) is settled here, on a small pool of its own, so the inference thread never waits on
 * S3,
 * Redis or Kafka and batch k is published while batch k+1 runs. Bounded: the inference loop waits when
 * {@code kiln.worker.settle.max-pending-jobs} jobs are still unsettled.
 *
 * <p>
 * With {@code kiln.worker.settle.overlap-decode} the VAE decode of finished requests runs here too, on one
 * decode thread of its own (one decode's activations at a time beside the UNet's; ONNX Runtime sessions run
 * concurrently), in the order the inference thread hands them over; a job takes its place in the stage when its
 * last images are handed over, so the decode backlog is bounded by the same limit plus the running jobs.
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
    private final ExecutorService decoder;

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
        this.decoder = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "kiln-decode");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Runs {@code decode} on the decode thread. When {@code completes} (these are the job's last images) the job
     * takes its place in the stage now, waiting while the stage is full, and the images {@code decode} returns
     * are published; {@code decode} returns null when there is nothing to publish (earlier images of the job, or
     * a job that ended otherwise). A {@code decode} that throws fails the job: it throws only for the job's first
     * failure, so a job is settled once.
     */
    public void decodeThenPublish(QueuedJob job, boolean completes, Supplier<List<GeneratedImage>> decode)
            throws InterruptedException {
        if (completes) {
            pending.acquire();
        }
        try {
            decoder.execute(() -> {
                MDC.put("jobId", job.jobId());
                boolean placeHandedOn = false;
                try {
                    List<GeneratedImage> images = decode.get();
                    if (images != null) {
                        placeHandedOn = completes;
                        execute(job, () -> upload(job, images), completes);
                    }
                } catch (RuntimeException e) {
                    LOG.errorf(e, "decoding job %s failed", job.jobId());
                    metrics.failure("pipeline");
                    // Earlier images of a job hold no place; such a failure happens at most once per job.
                    placeHandedOn = completes;
                    execute(job, () -> settler.fail(job, ErrorCodes.JOB_FAILED,
                            "image generation failed: " + e.getMessage()), completes);
                } finally {
                    MDC.remove("jobId");
                    if (completes && !placeHandedOn) {
                        pending.release();
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            if (completes) {
                pending.release();
            }
            LOG.warnf("decode stage closed; job %s left for redelivery", job.jobId());
        }
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

    /** Stops taking work and waits up to {@code timeout} for the work in hand to be decoded and settled. */
    public boolean drain(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        // Decodes hand their jobs to the pool: the pool closes after them.
        decoder.shutdown();
        boolean decoded = decoder.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
        pool.shutdown();
        return pool.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS) && decoded;
    }

    private void submit(QueuedJob job, Runnable work) throws InterruptedException {
        pending.acquire();
        execute(job, work, true);
    }

    /** Runs {@code work} on the pool; {@code holdsPlace}: it releases the job's place in the stage when done. */
    private void execute(QueuedJob job, Runnable work, boolean holdsPlace) {
        try {
            pool.execute(() -> {
                MDC.put("jobId", job.jobId());
                try {
                    work.run();
                } catch (RuntimeException e) {
                    LOG.errorf(e, "publishing job %s failed unexpectedly; leaving it unacknowledged", job.jobId());
                } finally {
                    MDC.remove("jobId");
                    if (holdsPlace) {
                        pending.release();
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            if (holdsPlace) {
                pending.release();
            }
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
