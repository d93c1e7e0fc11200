package dev.kiln.worker.health;

import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;

/**
 * What the health checks report, written by the inference loop and the settle path: whether the
 * model is loaded and warm, the loop's heartbeat, and jobs whose outcome could not be recorded.
 */
@ApplicationScoped
public class WorkerState {
    private volatile boolean modelReady;
    private volatile String modelFailure;
    private volatile String modelDescription = "loading";
    private volatile long heartbeatNanos = System.nanoTime();
    private final AtomicInteger abandonedJobs = new AtomicInteger();

    public void modelLoaded(String description) {
        this.modelDescription = description;
        this.modelReady = true;
    }

    public void modelFailed(String reason) {
        this.modelFailure = reason;
    }

    public boolean modelReady() {
        return modelReady;
    }

    public String modelFailure() {
        return modelFailure;
    }

    public String modelDescription() {
        return modelDescription;
    }

    public void heartbeat() {
        heartbeatNanos = System.nanoTime();
    }

    public long millisSinceHeartbeat() {
        return (System.nanoTime() - heartbeatNanos) / 1_000_000L;
    }

    /**
     * A job ran but its outcome could not be made durable (Redis unreachable past the retry bound);
     * its record stays unacknowledged, so only a restart gets it redelivered.
     */
    public void jobAbandoned() {
        abandonedJobs.incrementAndGet();
    }

    public int abandonedJobs() {
        return abandonedJobs.get();
    }
}
