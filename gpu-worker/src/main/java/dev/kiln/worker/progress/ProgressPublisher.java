package dev.kiln.worker.progress;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.kiln.common.jobs.ProgressChannel;
import dev.kiln.common.jobs.ProgressEvent;
import dev.kiln.diffusion.GenerationRequest;
import dev.kiln.diffusion.StepListener;
import dev.kiln.diffusion.image.PngEncoder;
import dev.kiln.diffusion.image.RgbImage;
import dev.kiln.diffusion.preview.LatentPreview;
import dev.kiln.worker.config.WorkerConfig;
import dev.kiln.worker.jobs.WorkerRedis;
import dev.kiln.worker.metrics.WorkerMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Carries running jobs' progress and previews from the inference thread to Redis. The inference thread only copies
 * and offers to a bounded queue ({@code kiln.worker.progress.queue-capacity}); when the queue is full the message
 * is dropped and counted, never waited for: a progress message is stale by the next step anyway. One publisher
 * thread renders previews (latent→RGB, PNG) and publishes through common's {@link ProgressChannel}, waiting at
 * most the Redis timeout for each.
 */
@ApplicationScoped
public class ProgressPublisher {
    public static final String MESSAGES = "kiln.worker.progress.messages";
    private static final Logger LOG = Logger.getLogger(ProgressPublisher.class);

    private final WorkerRedis redis;
    private final WorkerConfig.Progress config;
    private final BlockingQueue<ProgressTask> queue;
    private final PngEncoder png = new PngEncoder();
    private final MeterRegistry registry;
    private final Thread thread;
    private volatile boolean failing;

    public ProgressPublisher(WorkerRedis redis, WorkerConfig config, WorkerMetrics metrics) {
        this.redis = redis;
        this.config = config.progress();
        this.queue = new ArrayBlockingQueue<>(this.config.queueCapacity());
        this.registry = metrics.registry();
        for (String kind : new String[] { ProgressEvent.PROGRESS, ProgressEvent.PARTIAL_IMAGE }) {
            for (String outcome : new String[] { "published", "dropped", "failed" }) {
                counter(kind, outcome);
            }
        }
        this.thread = new Thread(this::run, "kiln-progress");
        this.thread.setDaemon(true);
        if (this.config.enabled()) {
            this.thread.start();
        }
    }

    /**
     * The listener for one pipeline call. {@code firstImages} maps each job's first-image request (by identity) to
     * the job; other requests are not reported.
     */
    public StepListener listenerFor(Map<GenerationRequest, ReportedJob> firstImages) {
        if (!config.enabled() || firstImages.isEmpty()) {
            return StepListener.NONE;
        }
        return new JobStepListener(firstImages, config.minInterval().toNanos(), System::nanoTime,
                System::currentTimeMillis, this::offer);
    }

    private boolean offer(ProgressTask task) {
        if (queue.offer(task)) {
            return true;
        }
        counter(kind(task), "dropped").increment();
        return false;
    }

    private void run() {
        while (!Thread.currentThread().isInterrupted()) {
            ProgressTask task;
            try {
                task = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            publish(task);
        }
    }

    private void publish(ProgressTask task) {
        try {
            ProgressEvent event = toEvent(task);
            Duration timeout = redis.callTimeout();
            ProgressChannel.publish(redis.commands(), task.accountId(), event, config.ttl())
                    .toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            counter(kind(task), "published").increment();
            if (failing) {
                failing = false;
                LOG.info("publishing job progress works again");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            counter(kind(task), "failed").increment();
            if (!failing) {
                failing = true;
                // Once per outage: progress is best effort and the job itself is unaffected.
                LOG.warnf("could not publish progress of job %s (%s); dropping progress until Redis answers",
                        task.jobId(), e.toString());
            }
        }
    }

    private ProgressEvent toEvent(ProgressTask task) {
        if (task instanceof ProgressTask.Preview p) {
            RgbImage preview = LatentPreview.toRgb(p.latents(), p.latentHeight(), p.latentWidth());
            if (config.previewFullSize()) {
                preview = LatentPreview.upscale(preview, p.outputWidth(), p.outputHeight());
            }
            return ProgressEvent.partialImage(p.jobId(), p.index(), p.step(), p.steps(), png.encode(preview),
                    preview.width(), preview.height(), p.atMillis());
        }
        ProgressTask.Step s = (ProgressTask.Step) task;
        return ProgressEvent.progress(s.jobId(), s.step(), s.steps(), s.atMillis());
    }

    private static String kind(ProgressTask task) {
        return task instanceof ProgressTask.Preview ? ProgressEvent.PARTIAL_IMAGE : ProgressEvent.PROGRESS;
    }

    private Counter counter(String kind, String outcome) {
        return Counter.builder(MESSAGES).description("Progress messages of running jobs, by kind and outcome")
                .tag("kind", kind).tag("outcome", outcome).register(registry);
    }

    @PreDestroy
    void stop() {
        thread.interrupt();
    }
}
