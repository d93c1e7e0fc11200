package dev.kiln.worker.health;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

import dev.kiln.worker.config.WorkerConfig;
import dev.kiln.worker.inference.InferenceLoop;
import dev.kiln.worker.jobs.JobQueue;

/**
 * Dead when a restart is the cure: the model failed to load, the inference loop died or stalled
 * (no heartbeat for {@code kiln.worker.liveness.stall} while jobs wait), or a job's outcome
 * could not be recorded (its record stays unacknowledged until the consumer restarts).
 */
@Liveness
@ApplicationScoped
public class InferenceLiveness implements HealthCheck {
    private final WorkerState state;
    private final InferenceLoop loop;
    private final JobQueue queue;
    private final long stallMillis;

    public InferenceLiveness(WorkerState state, InferenceLoop loop, JobQueue queue, WorkerConfig config) {
        this.state = state;
        this.loop = loop;
        this.queue = queue;
        this.stallMillis = config.liveness().stall().toMillis();
    }

    @Override
    public HealthCheckResponse call() {
        long sinceHeartbeat = state.millisSinceHeartbeat();
        int queued = queue.queue().size();
        var builder = HealthCheckResponse.named("inference-loop")
                .withData("millisSinceHeartbeat", sinceHeartbeat)
                .withData("queuedJobs", queued)
                .withData("abandonedJobs", state.abandonedJobs());
        if (state.modelFailure() != null) {
            return builder.down().withData("error", "model failed to load: " + state.modelFailure()).build();
        }
        if (state.modelReady() && !loop.running() && !queue.queue().isClosed()) {
            return builder.down().withData("error", "inference loop is not running").build();
        }
        if (queued > 0 && sinceHeartbeat > stallMillis) {
            return builder.down().withData("error", "inference loop stalled").build();
        }
        if (state.abandonedJobs() > 0) {
            return builder.down().withData("error", "job outcomes could not be recorded; restart to redeliver").build();
        }
        return builder.up().build();
    }
}
