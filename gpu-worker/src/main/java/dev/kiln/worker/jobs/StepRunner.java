package dev.kiln.worker.jobs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.diffusion.GeneratedImage;
import dev.kiln.diffusion.GenerationRequest;
import dev.kiln.diffusion.StepListener;
import dev.kiln.diffusion.batch.FairAdmissionQueue;
import dev.kiln.diffusion.batch.RunningRequest;
import dev.kiln.diffusion.batch.StepBatchExecutor;
import dev.kiln.diffusion.batch.StepCall;
import dev.kiln.diffusion.batch.StepFailedException;
import dev.kiln.diffusion.batch.StepRequest;
import dev.kiln.diffusion.image.RgbImage;
import dev.kiln.worker.config.WorkerConfig;
import dev.kiln.worker.health.WorkerState;
import dev.kiln.worker.metrics.WorkerMetrics;
import dev.kiln.worker.progress.ProgressPublisher;
import dev.kiln.worker.progress.ReportedJob;

/**
 * The inference thread's loop around the {@link StepBatchExecutor}: between UNet calls it expires queued jobs
 * past their deadline, admits jobs from the {@link JobQueue} while their size has free rows (started by the
 * {@link JobStarter}: markRunning, input from S3), makes one step call, and hands every job that finished, failed
 * or expired to the {@link SettleStage}, the one exit. A job of {@code n} images is {@code n} one-image requests
 * (seed {@code seed + i}); it is published when all of them are decoded. Finished requests are decoded on the
 * settle stage's decode thread while the next calls run ({@code kiln.worker.settle.overlap-decode}), or here
 * between calls.
 */
@ApplicationScoped
public class StepRunner {
    private static final Logger LOG = Logger.getLogger(StepRunner.class);
    private static final long IDLE_POLL_MILLIS = 1000;

    private final JobStarter starter;
    private final SettleStage settle;
    private final JobQueue jobs;
    private final WorkerMetrics metrics;
    private final WorkerState state;
    private final ProgressPublisher progress;
    private final int maxRows;
    private final boolean overlapDecode;
    private final Map<StepRequest, Slot> slots = new IdentityHashMap<>();

    public StepRunner(JobStarter starter, SettleStage settle, JobQueue jobs, WorkerMetrics metrics, WorkerState state,
            WorkerConfig config, ProgressPublisher progress) {
        this.starter = starter;
        this.progress = progress;
        this.settle = settle;
        this.jobs = jobs;
        this.metrics = metrics;
        this.state = state;
        this.maxRows = config.batching().maxRows();
        this.overlapDecode = config.settle().overlapDecode();
    }

    /** One job between its start and its exit. */
    private static final class JobRun {
        final QueuedJob job;
        final RgbImage input;
        final GeneratedImage[] images;
        final long startNanos = System.nanoTime();
        /** Images not yet finished (inference thread); with overlapped decode, {@code images} fill on the decode thread. */
        int left;
        /**
         * Settled (failed, expired) or abandoned: its other requests drop at the next step boundary. Set once, by
         * whichever thread ends the job (the decode thread when its decode fails).
         */
        final AtomicBoolean over = new AtomicBoolean();

        JobRun(QueuedJob job, RgbImage input) {
            this.job = job;
            this.input = input;
            this.images = new GeneratedImage[job.spec().n()];
            this.left = images.length;
        }
    }

    /** Which image of which job a request is. */
    private record Slot(JobRun run, int index) {
    }

    /**
     * Serves until the queue is closed (shutdown) and every running job has left.
     *
     * @param stopNow polled at every step boundary: true abandons the running jobs (unacknowledged, redelivered)
     */
    public void serve(StepBatchExecutor executor, BooleanSupplier stopNow) throws InterruptedException {
        FairAdmissionQueue<QueuedJob> queue = jobs.queue();
        while (!(queue.isClosed() && executor.isIdle())) {
            state.heartbeat();
            expireQueued(queue);
            admit(executor, queue, stopNow);
            if (executor.isIdle()) {
                queue.awaitNotEmpty(IDLE_POLL_MILLIS, TimeUnit.MILLISECONDS);
                continue;
            }
            step(executor, stopNow);
        }
    }

    private void expireQueued(FairAdmissionQueue<QueuedJob> queue) throws InterruptedException {
        long now = System.currentTimeMillis();
        for (QueuedJob job : queue.removeIf(j -> j.pastDeadline(now))) {
            settle.expire(job);
        }
    }

    /** Admits while the job's size has fewer running rows than the maximum, so every call can be full. */
    private void admit(StepBatchExecutor executor, FairAdmissionQueue<QueuedJob> queue, BooleanSupplier stopNow)
            throws InterruptedException {
        Map<List<Integer>, Integer> planned = new HashMap<>();
        List<JobRun> joining = new ArrayList<>();
        while (true) {
            Optional<FairAdmissionQueue.Taken<QueuedJob>> taken = queue.poll(job -> executor.runningRows(
                    job.spec().width(), job.spec().height()) + planned.getOrDefault(size(job), 0) < maxRows,
                    System.currentTimeMillis());
            if (taken.isEmpty()) {
                break;
            }
            QueuedJob job = taken.get().item();
            metrics.jobDequeued(taken.get().queuedNanos());
            JobStarter.Started started = starter.start(job);
            if (started != null) {
                planned.merge(size(job), job.rows(), Integer::sum);
                joining.add(new JobRun(job, started.input()));
            }
        }
        if (!joining.isEmpty()) {
            join(executor, joining, stopNow);
        }
    }

    private static List<Integer> size(QueuedJob job) {
        return List.of(job.spec().width(), job.spec().height());
    }

    /** One admission for all; if it fails, each job alone, so only a bad job fails. */
    private void join(StepBatchExecutor executor, List<JobRun> runs, BooleanSupplier stopNow)
            throws InterruptedException {
        List<StepRequest> requests = new ArrayList<>();
        Map<StepRequest, Slot> joined = new IdentityHashMap<>();
        for (JobRun run : runs) {
            List<GenerationRequest> perImage = requests(run.job.spec(), run.input);
            for (int i = 0; i < perImage.size(); i++) {
                // The images of a job step together, so its first image alone reports the job's progress.
                StepListener listener = i == 0 ? progressOf(run.job.spec(), perImage.get(0)) : StepListener.NONE;
                StepRequest request = stepRequest(run, perImage.get(i), listener, stopNow);
                requests.add(request);
                joined.put(request, new Slot(run, i));
            }
        }
        long t0 = System.nanoTime();
        try {
            executor.admit(requests);
            metrics.recordStage("admit", System.nanoTime() - t0);
            slots.putAll(joined);
        } catch (RuntimeException e) {
            if (runs.size() > 1) {
                LOG.warnf("admitting %d jobs failed (%s); admitting them one by one", runs.size(), e.getMessage());
                for (JobRun run : runs) {
                    join(executor, List.of(run), stopNow);
                }
                return;
            }
            LOG.errorf(e, "job %s could not join the executor", runs.get(0).job.jobId());
            metrics.failure("pipeline");
            settle.fail(runs.get(0).job, ErrorCodes.JOB_FAILED, "image generation failed: " + e.getMessage());
        }
    }

    private StepListener progressOf(JobSpec spec, GenerationRequest firstImage) {
        return progress.listenerFor(Map.of(firstImage, new ReportedJob(spec.accountId(), spec.jobId(),
                spec.partialImageCount(), spec.width(), spec.height())));
    }

    private static StepRequest stepRequest(JobRun run, GenerationRequest request, StepListener listener,
            BooleanSupplier stopNow) {
        JobSpec spec = run.job.spec();
        double strength = spec.isImg2Img() ? spec.strength() : 1.0;
        return new StepRequest(request, spec.width(), spec.height(), spec.steps(), strength, spec.scheduler(), listener,
                () -> stopNow.getAsBoolean() || run.over.get() || run.job.pastDeadline(System.currentTimeMillis()));
    }

    /**
     * One request per image: image {@code i} of a job uses seed {@code seed + i} (JobSpec's contract), so it is
     * the image a one-image job with that seed would get.
     */
    static List<GenerationRequest> requests(JobSpec spec, RgbImage input) {
        List<GenerationRequest> out = new ArrayList<>(spec.n());
        for (int i = 0; i < spec.n(); i++) {
            out.add(new GenerationRequest(spec.prompt() == null ? "" : spec.prompt(), spec.negativePrompt(),
                    spec.guidanceScale(), 1, spec.seed() + i, input, null));
        }
        return out;
    }

    private void step(StepBatchExecutor executor, BooleanSupplier stopNow) throws InterruptedException {
        int runningRows = executor.runningRows();
        StepCall call;
        try {
            call = executor.step();
        } catch (StepFailedException e) {
            LOG.errorf(e, "a UNet call over %d requests failed; failing their jobs", e.requests().size());
            for (RunningRequest request : e.requests()) {
                Slot slot = slots.remove(request.request());
                if (slot != null && slot.run().over.compareAndSet(false, true)) {
                    metrics.failure("pipeline");
                    settle.fail(slot.run().job, ErrorCodes.JOB_FAILED, "image generation failed: " + e.getMessage());
                }
            }
            return;
        }
        if (call.rows() > 0) {
            Set<JobRun> jobsInCall = new HashSet<>();
            call.requests().forEach(r -> jobsInCall.add(slots.get(r.request()).run()));
            metrics.recordStepCall(call.rows(), call.bucketRows(), maxRows, jobsInCall.size(), call.requests().size(),
                    call.nanos());
            // A request steps once per turn; with more rows running than fit in a call, a turn is several calls.
            jobs.stepTime().record(Math.round(call.nanos() * Math.max(1.0, (double) runningRows / call.rows())));
        }
        for (RunningRequest request : call.cancelled()) {
            cancelled(slots.remove(request.request()), stopNow);
        }
        if (!call.finished().isEmpty()) {
            finished(executor, call.finished());
        }
    }

    private void cancelled(Slot slot, BooleanSupplier stopNow) throws InterruptedException {
        if (slot == null || !slot.run().over.compareAndSet(false, true)) {
            return;
        }
        JobRun run = slot.run();
        if (stopNow.getAsBoolean()) {
            LOG.warnf("job %s abandoned at shutdown; Kafka redelivers it", run.job.jobId());
            return;
        }
        LOG.infof("job %s passed its deadline while running; expiring it", run.job.jobId());
        settle.expire(run.job);
    }

    private void finished(StepBatchExecutor executor, List<RunningRequest> finished) throws InterruptedException {
        if (overlapDecode) {
            handOffDecode(executor, finished);
            return;
        }
        long t0 = System.nanoTime();
        List<List<GeneratedImage>> decoded = executor.decode(finished);
        metrics.recordStage("vae_decode", System.nanoTime() - t0);
        for (int i = 0; i < finished.size(); i++) {
            Slot slot = slots.remove(finished.get(i).request());
            JobRun run = slot.run();
            if (run.over.get()) {
                continue;
            }
            run.images[slot.index()] = decoded.get(i).get(0);
            if (--run.left == 0) {
                long nanos = System.nanoTime() - run.startNanos;
                metrics.recordStage("inference", nanos);
                LOG.infof("job %s: %d images ran in %d ms", run.job.jobId(), run.images.length, nanos / 1_000_000);
                settle.publish(run.job, Arrays.asList(run.images));
            }
        }
    }

    /**
     * Hands each job's finished requests to the settle stage's decode thread, in order; the job's last ones
     * publish it there. The executor's decode touches only the finished requests and the VAE decoder session, so
     * it runs while this thread makes the next UNet calls.
     */
    private void handOffDecode(StepBatchExecutor executor, List<RunningRequest> finished) throws InterruptedException {
        Map<JobRun, List<RunningRequest>> byRun = new LinkedHashMap<>();
        Map<JobRun, List<Integer>> indices = new HashMap<>();
        for (RunningRequest request : finished) {
            Slot slot = slots.remove(request.request());
            if (slot.run().over.get()) {
                continue;
            }
            byRun.computeIfAbsent(slot.run(), r -> new ArrayList<>()).add(request);
            indices.computeIfAbsent(slot.run(), r -> new ArrayList<>()).add(slot.index());
        }
        for (Map.Entry<JobRun, List<RunningRequest>> e : byRun.entrySet()) {
            JobRun run = e.getKey();
            List<RunningRequest> requests = e.getValue();
            List<Integer> at = indices.get(run);
            run.left -= requests.size();
            boolean last = run.left == 0;
            settle.decodeThenPublish(run.job, last, () -> decode(executor, run, requests, at, last));
        }
    }

    /** On the decode thread: the job's images when these were its last and it is still on, else null. */
    private List<GeneratedImage> decode(StepBatchExecutor executor, JobRun run, List<RunningRequest> requests,
            List<Integer> at, boolean last) {
        long t0 = System.nanoTime();
        List<List<GeneratedImage>> decoded;
        try {
            decoded = executor.decode(requests);
        } catch (RuntimeException e) {
            if (run.over.compareAndSet(false, true)) {
                throw e;
            }
            return null;
        }
        metrics.recordStage("vae_decode", System.nanoTime() - t0);
        for (int i = 0; i < requests.size(); i++) {
            run.images[at.get(i)] = decoded.get(i).get(0);
        }
        if (!last || run.over.get()) {
            return null;
        }
        long nanos = System.nanoTime() - run.startNanos;
        metrics.recordStage("inference", nanos);
        LOG.infof("job %s: %d images ran in %d ms", run.job.jobId(), run.images.length, nanos / 1_000_000);
        return Arrays.asList(run.images);
    }
}
