package dev.kiln.api.health;

import dev.kiln.api.jobs.QueueLagMonitor;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only while the Kafka cluster answers a describe-cluster call within the admin timeout. */
@Readiness
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
