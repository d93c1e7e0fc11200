package dev.kiln.worker.health;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the model is loaded and a warm-up batch ran (the Kafka connector adds its own checks). */
@Readiness
@ApplicationScoped
public class ModelReadiness implements HealthCheck {
    private final WorkerState state;

    public ModelReadiness(WorkerState state) {
        this.state = state;
    }

    @Override
    public HealthCheckResponse call() {
        var builder = HealthCheckResponse.named("model").withData("model", state.modelDescription());
        if (state.modelFailure() != null) {
            return builder.down().withData("error", state.modelFailure()).build();
        }
        return builder.status(state.modelReady()).build();
    }
}
