package dev.kiln.api.redis;

import dev.kiln.api.errors.ApiException;
import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.errors.ErrorType;
import org.jboss.logging.Logger;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waits for a Redis call from a worker thread, turning Redis trouble into a retryable 503. */
public final class RedisCalls {
    private static final Logger LOG = Logger.getLogger(RedisCalls.class);

    private RedisCalls() {
    }

    public static <T> T await(CompletionStage<T> stage, long timeoutMillis) {
        try {
            // The connection already times commands out; the extra margin only guards against a lost future.
            return stage.toCompletableFuture().get(timeoutMillis + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable(e);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            throw unavailable(e);
        }
    }

    public static ApiException unavailable(Throwable cause) {
        LOG.warnf("Redis call failed: %s", cause.toString());
        return new ApiException(ErrorType.SERVICE_UNAVAILABLE, "The service is temporarily unavailable; retry shortly.",
                null, ErrorCodes.BACKEND_UNAVAILABLE, java.util.Map.of("Retry-After", "1"));
    }
}
