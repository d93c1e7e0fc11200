package dev.kiln.api.health;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.redis.ApiRedis;
import io.smallrye.health.api.HealthGroup;

/**
 * Redis answers PING within the Redis timeout. In the {@code dependencies} group, not readiness: see
 * {@link DependencyHealth}.
 */
@HealthGroup(DependencyHealth.GROUP)
@ApplicationScoped
public class RedisReadiness implements HealthCheck {
    private final ApiRedis redis;
    private final Duration timeout;

    public RedisReadiness(ApiRedis redis, ApiConfig config) {
        this.redis = redis;
        this.timeout = config.redis().timeout();
    }

    @Override
    public HealthCheckResponse call() {
        try {
            String pong = redis.commands().ping().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return HealthCheckResponse.named("redis").status("PONG".equals(pong)).build();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return HealthCheckResponse.named("redis").down().withData("error", e.getClass().getSimpleName()).build();
        }
    }
}
