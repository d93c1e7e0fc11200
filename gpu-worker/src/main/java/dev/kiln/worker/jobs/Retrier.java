package dev.kiln.worker.jobs;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.jboss.logging.Logger;

import dev.kiln.worker.config.WorkerConfig;
import dev.kiln.worker.storage.StorageUnavailableException;
import io.lettuce.core.RedisException;

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

    /** Told about every retry (not the first try), e.g. to count retries per operation. */
    @FunctionalInterface
    public interface Listener {
        void retrying(String operation);

        Listener NONE = operation -> {
        };
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
    private final Listener listener;

    public Retrier(int maxTries, long initialBackoffMillis, long maxBackoffMillis, Pause pause) {
        this(maxTries, initialBackoffMillis, maxBackoffMillis, pause, Listener.NONE);
    }

    public Retrier(int maxTries, long initialBackoffMillis, long maxBackoffMillis, Pause pause, Listener listener) {
        if (maxTries < 1) {
            throw new IllegalArgumentException("maxTries must be >= 1");
        }
        this.maxTries = maxTries;
        this.initialBackoffMillis = initialBackoffMillis;
        this.maxBackoffMillis = maxBackoffMillis;
        this.pause = pause;
        this.listener = listener;
    }

    public static Retrier sleeping(int maxTries, long initialBackoffMillis, long maxBackoffMillis) {
        return new Retrier(maxTries, initialBackoffMillis, maxBackoffMillis, Thread::sleep);
    }

    /** A sleeping retrier with the {@code kiln.worker.retry.*} bounds that reports each retry. */
    public static Retrier sleeping(WorkerConfig.Retry config, Listener listener) {
        return new Retrier(config.maxTries(), config.initialBackoff().toMillis(), config.maxBackoff().toMillis(),
                Thread::sleep, listener);
    }

    /** {@link #call(String, String, Operation)} with {@code what} as the operation's name. */
    public <T> T call(String what, Operation<T> operation) throws Exception {
        return call(what, what, operation);
    }

    /**
     * @param operation a short, bounded name for metrics ({@code settle}, {@code upload}, ...)
     * @param what what is being done, for the log
     * @throws RetriesExhaustedException when every try failed retryably
     * @throws Exception the first non-retryable failure, unwrapped
     */
    public <T> T call(String operation, String what, Operation<T> op) throws Exception {
        long backoffMillis = initialBackoffMillis;
        for (int attempt = 1;; attempt++) {
            try {
                return op.run();
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
                listener.retrying(operation);
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
                || cause instanceof IOException;
    }

    static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
