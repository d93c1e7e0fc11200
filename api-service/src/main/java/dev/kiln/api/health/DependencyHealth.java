package dev.kiln.api.health;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness of the API: UP once started, whatever Redis and Kafka do. An API pod that answers is
 * useful during a Redis or Kafka outage: it gives clients a JSON 503 with {@code Retry-After}. Were
 * readiness to follow the backends, every replica would leave the Service at the same moment and
 * clients would get the ingress's own error page instead. The backends are reported, for dashboards
 * and alerts, in the {@value #GROUP} health group ({@code /q/health/group/dependencies}).
 */
@Readiness
@ApplicationScoped
public class DependencyHealth implements HealthCheck {
    /** Health group of the Redis and Kafka checks. */
    public static final String GROUP = "dependencies";

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("serving").up()
                .withData("backends", "/q/health/group/" + GROUP).build();
    }
}
