package dev.kiln.worker.progress;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

import dev.kiln.diffusion.GenerationRequest;
import dev.kiln.diffusion.StepListener;
import dev.kiln.diffusion.StepProgress;

/**
 * The step listener of one batch call: turns the pipeline's per-request steps into per-job progress tasks. A job
 * runs one request per image; only its first image's request reports (the images of a batch step together).
 * Runs on the inference thread, so it only copies and hands over: throttled progress, previews at their steps.
 * Never throws: a progress problem must not fail a batch.
 */
final class JobStepListener implements StepListener {

    private final Map<GenerationRequest, State> jobs = new IdentityHashMap<>();
    private final long minIntervalNanos;
    private final LongSupplier nanoClock;
    private final LongSupplier wallClockMillis;
    private final Predicate<ProgressTask> sink;

    /**
     * @param firstImages each job's first-image request (compared by identity) and the job
     * @param sink takes a task without blocking; false when it had to drop it
     */
    JobStepListener(Map<GenerationRequest, ReportedJob> firstImages, long minIntervalNanos, LongSupplier nanoClock,
            LongSupplier wallClockMillis, Predicate<ProgressTask> sink) {
        firstImages.forEach((request, job) -> jobs.put(request, new State(job)));
        this.minIntervalNanos = minIntervalNanos;
        this.nanoClock = nanoClock;
        this.wallClockMillis = wallClockMillis;
        this.sink = sink;
    }

    @Override
    public void onStep(StepProgress progress) {
        State state = jobs.get(progress.request());
        if (state == null) {
            return;
        }
        try {
            state.onStep(progress);
        } catch (RuntimeException e) {
            // A broken preview is not worth a failed batch; the publisher counts what it did not send.
            sink.test(new ProgressTask.Step(state.job.accountId(), state.job.jobId(), progress.step(),
                    progress.steps(), wallClockMillis.getAsLong()));
        }
    }

    private final class State {
        private final ReportedJob job;
        private int[] previewSteps;
        private long lastSentNanos;
        private boolean sentAny;

        State(ReportedJob job) {
            this.job = job;
        }

        void onStep(StepProgress progress) {
            if (previewSteps == null) {
                // Known only now: the step count depends on strength and the scheduler.
                previewSteps = PreviewSteps.of(job.partialImages(), progress.steps());
            }
            long now = nanoClock.getAsLong();
            int preview = PreviewSteps.indexOf(previewSteps, progress.step());
            if (preview >= 0) {
                sink.test(new ProgressTask.Preview(job.accountId(), job.jobId(), preview, progress.step(),
                        progress.steps(), progress.latents().get(), progress.latentHeight(), progress.latentWidth(),
                        job.width(), job.height(), wallClockMillis.getAsLong()));
                markSent(now);
            } else if (!sentAny || now - lastSentNanos >= minIntervalNanos || progress.step() == progress.steps()) {
                sink.test(new ProgressTask.Step(job.accountId(), job.jobId(), progress.step(), progress.steps(),
                        wallClockMillis.getAsLong()));
                markSent(now);
            }
        }

        private void markSent(long now) {
            lastSentNanos = now;
            sentAny = true;
        }
    }
}
