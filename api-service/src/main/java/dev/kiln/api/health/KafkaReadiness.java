package dev.kiln.api.health;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;

import dev.kiln.api.jobs.QueueLagMonitor;
import io.smallrye.health.api.HealthGroup;

/**
 * The Kafka cluster answers a describe-cluster call within the admin timeout. In the
 * {@code dependencies} group, not readiness: see {@link DependencyHealth}.
 */
@HealthGroup(DependencyHealth.GROUP)
@ApplicationScoped
public class KafkaReadiness implements HealthCheck {
    private final QueueLagMonitor kafka;

    public KafkaReadiness(QueueLagMonitor kafka) {
        this.kafka = kafka;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("kafka").status(kafka.ping()).withData("queue_lag", kafka.lag()).build();
    }
}
