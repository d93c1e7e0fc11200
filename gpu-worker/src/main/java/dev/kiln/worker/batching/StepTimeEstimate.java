package dev.kiln.worker.batching;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How long one denoising step of a running request takes now: an exponentially weighted mean of the time
 * between a request's steps (a UNet call's time times the calls per turn when requests take turns). Read by
 * the admission queue's deadline check from the intake side, written by the inference thread.
 */
public final class StepTimeEstimate {

    /** Weight of the newest sample. */
    private static final double ALPHA = 0.1;

    private final AtomicLong nanos;

    public StepTimeEstimate(Duration initial) {
        this.nanos = new AtomicLong(initial.toNanos());
    }

    public void record(long stepNanos) {
        nanos.updateAndGet(old -> Math.round(old + ALPHA * (stepNanos - old)));
    }

    public long nanosPerStep() {
        return nanos.get();
    }

    /** Estimated millis to run {@code steps} steps. */
    public long millisFor(int steps) {
        return nanos.get() * steps / 1_000_000L;
    }
}
