package dev.kiln.worker.jobs;

import dev.kiln.worker.storage.StorageUnavailableException;
import io.lettuce.core.RedisException;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs an operation that talks to Redis or S3, retrying failures that a later try can fix
 * (unreachable, timed out) with exponential backoff, a bounded number of times. Any other failure
 * is rethrown at once. Blocks the calling thread while backing off, so call it from the worker's
 * own threads, never from an event loop.
 */
public final class Retrier {
    private static final Logger LOG = Logger.getLogger(Retrier.class);

    /** How to pause between tries; the default sleeps, a test may record instead. */
    @FunctionalInterface
    public interface Pause {
        void pause(long millis) throws InterruptedException;
    }

    /** An operation to retry. */
    @FunctionalInterface
    public interface Operation<T> {
        T run() throws Exception;
    }

    private final int maxTries;
    private final long initialBackoffMillis;
    private final long maxBackoffMillis;
    private final Pause pause;

    public Retrier(int maxTries, long initialBackoffMillis, long maxBackoffMillis, Pause pause) {
        if (maxTries < 1) {
            throw new IllegalArgumentException("maxTries must be >= 1");
        }
        this.maxTries = maxTries;
        this.initialBackoffMillis = initialBackoffMillis;
        this.maxBackoffMillis = maxBackoffMillis;
        this.pause = pause;
    }

    public static Retrier sleeping(int maxTries, long initialBackoffMillis, long maxBackoffMillis) {
        return new Retrier(maxTries, initialBackoffMillis, maxBackoffMillis, Thread::sleep);
    }

    /**
     * @throws RetriesExhaustedException when every try failed retryably
     * @throws Exception                 the first non-retryable failure, unwrapped
     */
    public <T> T call(String what, Operation<T> operation) throws Exception {
        long backoffMillis = initialBackoffMillis;
        for (int attempt = 1; ; attempt++) {
            try {
                return operation.run();
            } catch (Exception e) {
                Throwable cause = unwrap(e);
                if (!isRetryable(cause)) {
                    throw cause instanceof Exception ex ? ex : e;
                }
                if (attempt >= maxTries) {
                    throw new RetriesExhaustedException(what + " failed " + attempt + " times; last: " + cause, cause);
                }
                LOG.warnf("%s failed (try %d of %d), retrying in %d ms: %s", what, attempt, maxTries,
                        backoffMillis, cause.toString());
                pause.pause(backoffMillis);
                backoffMillis = Math.min(maxBackoffMillis, backoffMillis * 2);
            }
        }
    }

    /** Waits for an async Redis call, bounded, surfacing its real failure. */
    public static <T> T await(CompletionStage<T> stage, Duration timeout) throws Exception {
        try {
            return stage.toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = unwrap(e);
            throw cause instanceof Exception ex ? ex : e;
        }
    }

    /** Redis and S3 outages and timeouts; everything else is a property of the job. */
    public static boolean isRetryable(Throwable failure) {
        Throwable cause = unwrap(failure);
        return cause instanceof RedisException
                || cause instanceof StorageUnavailableException
                || cause instanceof TimeoutException
                || cause instanceof java.io.IOException;
    }

    static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
