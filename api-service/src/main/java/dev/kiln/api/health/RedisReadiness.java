package dev.kiln.api.health;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.redis.KilnRedis;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import io.smallrye.health.api.HealthGroup;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Redis answers PING within the Redis timeout. In the {@code dependencies} group, not readiness: see
 * {@link DependencyHealth}.
 */
@HealthGroup(DependencyHealth.GROUP)
@ApplicationScoped
public class RedisReadiness implements HealthCheck {
    private final KilnRedis redis;
    private final Duration timeout;

    public RedisReadiness(KilnRedis redis, ApiConfig config) {
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
