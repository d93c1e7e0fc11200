package dev.kiln.worker.inference;

import dev.kiln.worker.batching.Batch;
import dev.kiln.worker.batching.DynamicBatcher;
import dev.kiln.worker.config.WorkerConfig;
import dev.kiln.worker.health.WorkerState;
import dev.kiln.worker.jobs.BatchRunner;
import dev.kiln.worker.jobs.JobQueue;
import dev.kiln.worker.jobs.QueuedJob;
import dev.kiln.worker.jobs.UploadStage;
import dev.kiln.worker.pipeline.DiffusionPipeline;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The one thread that owns the GPU: loads and warms the model (readiness waits for it), then takes
 * batches from the batcher and runs them, beating a heartbeat the liveness check watches.
 *
 * <p>Shutdown (before the Kafka consumer is closed): stop admitting, leave queued jobs
 * unacknowledged for redelivery, finish the batch in hand, let the upload stage settle and
 * acknowledge it, so the consumer commits those offsets as it closes.
 */
@ApplicationScoped
public class InferenceLoop {
    private static final Logger LOG = Logger.getLogger(InferenceLoop.class);
    private static final Duration POLL = Duration.ofSeconds(1);

    private final ModelLoader loader;
    private final JobQueue queue;
    private final BatchRunner runner;
    private final UploadStage upload;
    private final WorkerState state;
    private final WorkerConfig config;
    private volatile boolean abandonBatch;
    private volatile DiffusionPipeline pipeline;
    private Thread thread;

    public InferenceLoop(ModelLoader loader, JobQueue queue, BatchRunner runner, UploadStage upload,
                         WorkerState state, WorkerConfig config) {
        this.loader = loader;
        this.queue = queue;
        this.runner = runner;
        this.upload = upload;
        this.state = state;
        this.config = config;
    }

    void onStart(@Observes StartupEvent event) {
        thread = new Thread(this::run, "kiln-inference");
        thread.start();
    }

    private void run() {
        try {
            ModelLoader.Loaded loaded = loader.load();
            pipeline = loaded.pipeline();
            loader.warmUp(pipeline);
            state.modelLoaded(loaded.modelDir() + (loaded.tiny() ? " (generated tiny model: images are noise)" : "")
                    + " on " + config.device());
        } catch (RuntimeException | Error e) {
            LOG.error("model could not be loaded; this worker will never become ready", e);
            state.modelFailed(e.toString());
            return;
        }
        DynamicBatcher<QueuedJob> batcher = queue.batcher();
        try {
            while (!batcher.isTerminated()) {
                state.heartbeat();
                Optional<Batch<QueuedJob>> batch = batcher.nextBatch(POLL);
                if (batch.isPresent()) {
                    runner.run(pipeline, batch.get(), () -> abandonBatch);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            // A bug, not a job failure (those are handled per job): stop beating so liveness restarts us.
            LOG.error("inference loop died", e);
        } finally {
            state.heartbeat();
        }
        LOG.info("inference loop stopped");
    }

    /** Whether the loop is waiting for or running batches (false once it stopped or died). */
    public boolean running() {
        return thread != null && thread.isAlive();
    }

    void onStop(@Observes @Priority(10) ShutdownEvent event) throws InterruptedException {
        long graceMillis = config.shutdown().graceMillis();
        long deadline = System.nanoTime() + graceMillis * 1_000_000L;
        List<QueuedJob> left = queue.batcher().shutdownNow();
        LOG.infof("shutting down: %d queued jobs left unacknowledged for redelivery; finishing the batch in hand",
                left.size());
        if (thread != null) {
            thread.join(Math.max(1, remainingMillis(deadline) * 3 / 4));
            if (thread.isAlive()) {
                LOG.warn("the batch in hand did not finish within the grace period; abandoning it (redelivered)");
                abandonBatch = true;
                thread.join(Math.max(1, remainingMillis(deadline) / 2));
            }
        }
        if (!upload.drain(Duration.ofMillis(Math.max(1, remainingMillis(deadline))))) {
            LOG.warn("upload stage did not drain within the grace period; unsettled jobs are redelivered");
        }
        DiffusionPipeline p = pipeline;
        if (p != null && (thread == null || !thread.isAlive())) {
            p.close();
        }
    }

    private static long remainingMillis(long deadlineNanos) {
        return Math.max(0, (deadlineNanos - System.nanoTime()) / 1_000_000L);
    }
}
