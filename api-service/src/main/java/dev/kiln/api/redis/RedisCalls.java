package dev.kiln.api.redis;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import dev.kiln.api.errors.ApiException;
import dev.kiln.api.errors.Failures;

/**
 * Turns Redis trouble into a retryable 503: {@link #await} from a worker thread, {@link #async} on
 * non-blocking paths. Both rely on the connection's command timeout (kiln.api.redis.timeout).
 */
public final class RedisCalls {
    private static final Logger LOG = Logger.getLogger(RedisCalls.class);

    private RedisCalls() {
    }

    public static <T> T await(CompletionStage<T> stage, Duration timeout) {
        try {
            // The connection already times commands out; the extra margin only guards against a lost future.
            return stage.toCompletableFuture().get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable(e);
        } catch (ExecutionException e) {
            // A stage that failed with an answer (e.g. 401) keeps it; anything else is Redis trouble.
            throw e.getCause() instanceof ApiException api ? api : unavailable(e);
        } catch (TimeoutException | RuntimeException e) {
            throw unavailable(e);
        }
    }

    /**
     * Starts a Redis call without blocking; the stage fails with a 503 {@link ApiException} when the
     * call cannot be sent (disconnected: commands are rejected at once), fails or times out.
     */
    public static <T> CompletionStage<T> async(Supplier<CompletionStage<T>> call) {
        CompletionStage<T> stage;
        try {
            stage = call.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e instanceof ApiException ? e : unavailable(e));
        }
        return stage.handle((value, error) -> {
            if (error == null) {
                return value;
            }
            Throwable cause = Failures.unwrap(error);
            throw cause instanceof ApiException api ? api : unavailable(cause);
        });
    }

    public static ApiException unavailable(Throwable cause) {
        LOG.warnf("Redis call failed: %s", cause.toString());
        return ApiException.backendUnavailable();
    }
}
