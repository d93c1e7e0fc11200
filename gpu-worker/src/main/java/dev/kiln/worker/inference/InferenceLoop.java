package dev.kiln.worker.inference;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import dev.kiln.diffusion.DiffusionPipeline;
import dev.kiln.diffusion.batch.PromptEmbeddingCache;
import dev.kiln.diffusion.batch.StepBatchExecutor;
import dev.kiln.diffusion.batch.StepBatchOptions;
import dev.kiln.worker.config.WorkerConfig;
import dev.kiln.worker.health.WorkerState;
import dev.kiln.worker.jobs.JobIntake;
import dev.kiln.worker.jobs.JobQueue;
import dev.kiln.worker.jobs.QueuedJob;
import dev.kiln.worker.jobs.SettleStage;
import dev.kiln.worker.jobs.StepRunner;
import dev.kiln.worker.metrics.WorkerMetrics;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.ChannelRegistry;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * The one thread that owns the GPU: loads and warms the model (readiness waits for it), then resumes the
 * Kafka channel (paused and unsubscribed until then) and serves the step-level executor
 * ({@link StepRunner}), beating a heartbeat the liveness check watches. A model that cannot be served ends
 * the process.
 *
 * <p>
 * Shutdown (before the Kafka consumer is closed): stop admitting, leave queued jobs
 * unacknowledged for redelivery, finish the running jobs, let the settle stage settle and
 * acknowledge them, so the consumer commits those offsets as it closes.
 */
@ApplicationScoped
public class InferenceLoop {
    private static final Logger LOG = Logger.getLogger(InferenceLoop.class);
    private static final int EXIT_MODEL_FAILED = 3;

    private final ModelLoader loader;
    private final JobQueue queue;
    private final StepRunner runner;
    private final SettleStage settle;
    private final WorkerState state;
    private final WorkerMetrics metrics;
    private final WorkerConfig config;
    private final ChannelRegistry channels;
    private volatile boolean abandonBatch;
    private final AtomicBoolean drained = new AtomicBoolean();
    private final AtomicBoolean stopSignalled = new AtomicBoolean();
    private volatile DiffusionPipeline pipeline;
    private Thread thread;

    public InferenceLoop(ModelLoader loader, JobQueue queue, StepRunner runner, SettleStage settle,
            WorkerState state, WorkerMetrics metrics, WorkerConfig config, ChannelRegistry channels) {
        this.loader = loader;
        this.queue = queue;
        this.runner = runner;
        this.settle = settle;
        this.state = state;
        this.metrics = metrics;
        this.config = config;
        this.channels = channels;
    }

    void onStart(@Observes StartupEvent event) {
        thread = new Thread(this::run, "kiln-inference");
        thread.start();
        if (LaunchMode.current() == LaunchMode.NORMAL) {
            installStopSignalHandlers();
        }
    }

    /**
     * ONNX Runtime registers a JVM shutdown hook that frees its native environment, and JVM shutdown
     * hooks run concurrently: a batch still running when the JVM begins to shut down crashes the
     * process (SIGBUS in libonnxruntime, seen in GracefulShutdownIT). So SIGTERM/SIGINT first drain
     * (finish the batch in hand, settle, ack) and only then hand over to Quarkus's own handler, which
     * starts the JVM shutdown. A second signal while draining skips the drain.
     */
    private void installStopSignalHandlers() {
        for (String name : List.of("TERM", "INT")) {
            try {
                Signal signal = new Signal(name);
                AtomicReference<SignalHandler> previous = new AtomicReference<>(SignalHandler.SIG_DFL);
                previous.set(Signal.handle(signal, s -> onStopSignal(s, previous.get())));
            } catch (IllegalArgumentException e) {
                LOG.warnf("cannot handle SIG%s (%s): a stop by that signal will not wait for the batch in hand",
                        name, e.getMessage());
            }
        }
    }

    private void onStopSignal(Signal signal, SignalHandler previous) {
        if (!stopSignalled.compareAndSet(false, true)) {
            exitVia(signal, previous);
            return;
        }
        Thread stopper = new Thread(() -> {
            try {
                drain();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                exitVia(signal, previous);
            }
        }, "kiln-stop-SIG" + signal.getName());
        stopper.start();
    }

    private static void exitVia(Signal signal, SignalHandler previous) {
        if (previous == SignalHandler.SIG_DFL || previous == SignalHandler.SIG_IGN || previous == null) {
            System.exit(128 + signal.getNumber());
        } else {
            previous.handle(signal);
        }
    }

    private void run() {
        try {
            ModelLoader.Loaded loaded = loader.load();
            pipeline = loaded.pipeline();
            loader.warmUp(pipeline);
            state.modelLoaded(loaded.modelDir() + (loaded.testModel() ? " (test model: images are noise)" : "")
                    + " on " + config.device());
        } catch (RuntimeException | Error e) {
            state.modelFailed(e.toString());
            if (LaunchMode.current() == LaunchMode.NORMAL) {
                // Exit rather than linger unready: the orchestrator restarts the pod and shows why.
                LOG.error("model could not be loaded; exiting", e);
                Quarkus.asyncExit(EXIT_MODEL_FAILED);
            } else {
                LOG.error("model could not be loaded; this worker will never become ready", e);
            }
            return;
        }
        channels.getPausable(JobIntake.CHANNEL).resume();
        LOG.info("model warm: consuming jobs");
        WorkerConfig.Batching batching = config.batching();
        if (batching.maxBatchImages().isPresent() || batching.maxWait().isPresent()) {
            LOG.warn("kiln.worker.batching.max-batch-images and max-wait are ignored since step-level batching; "
                    + "set kiln.worker.batching.max-rows (rows per UNet call) instead");
        }
        StepBatchOptions options = new StepBatchOptions(
                StepBatchOptions.bucketsUpTo(batching.rowBuckets(), batching.maxRows()), config.vaeBatchImages());
        PromptEmbeddingCache cache = new PromptEmbeddingCache(batching.promptCacheBytes());
        metrics.bindPromptCache(cache);
        try (StepBatchExecutor executor = pipeline.stepExecutor(options, cache)) {
            runner.serve(executor, () -> abandonBatch);
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

    /** Whether the loop is waiting for or running jobs (false once it stopped or died). */
    public boolean running() {
        return thread != null && thread.isAlive();
    }

    void onStop(@Observes @Priority(10) ShutdownEvent event) throws InterruptedException {
        drain();
    }

    /**
     * Stops taking batches, finishes (or, past 3/4 of the grace period, abandons) the batch in hand
     * and waits for the settle stage to settle and ack its jobs. Runs once; later calls return at once.
     */
    private void drain() throws InterruptedException {
        if (!drained.compareAndSet(false, true)) {
            return;
        }
        long graceMillis = config.shutdown().grace().toMillis();
        long deadline = System.nanoTime() + graceMillis * 1_000_000L;
        List<QueuedJob> left = queue.queue().shutdownNow();
        LOG.infof("shutting down: %d queued jobs left unacknowledged for redelivery; finishing the running jobs",
                left.size());
        if (thread != null) {
            thread.join(Math.max(1, remainingMillis(deadline) * 3 / 4));
            if (thread.isAlive()) {
                LOG.warn("the running jobs did not finish within the grace period; abandoning them (redelivered)");
                abandonBatch = true;
                thread.join(Math.max(1, remainingMillis(deadline) / 2));
            }
        }
        boolean settled = settle.drain(Duration.ofMillis(Math.max(1, remainingMillis(deadline))));
        if (!settled) {
            LOG.warn("settle stage did not drain within the grace period; unsettled jobs are redelivered");
        }
        DiffusionPipeline p = pipeline;
        // A decode still running on the settle stage uses the sessions: they stay open for it.
        if (p != null && settled && (thread == null || !thread.isAlive())) {
            p.close();
        }
    }

    private static long remainingMillis(long deadlineNanos) {
        return Math.max(0, (deadlineNanos - System.nanoTime()) / 1_000_000L);
    }
}
