package dev.kiln.api.images;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.errors.ApiException;
import dev.kiln.common.errors.ErrorCodes;
import io.quarkus.runtime.ShutdownEvent;

/**
 * The threads that parse request bodies carrying an image and decode it: few ({@code kiln.api.decode.threads})
 * with a bounded queue ({@code kiln.api.decode.queue}), so concurrent decodes cannot take the heap or the
 * CPU; beyond the queue a submission gets 503 {@code server_busy}, nothing charged.
 */
@ApplicationScoped
public class DecodePool {
    private final ThreadPoolExecutor executor;

    public DecodePool(ApiConfig config) {
        AtomicInteger count = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(config.decode().threads(), config.decode().threads(), 0,
                TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(config.decode().queue()), r -> {
                    Thread t = new Thread(r, "kiln-decode-" + count.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /** Runs {@code task} on the pool; the stage fails with a 503 when the queue is full. */
    public <T> CompletionStage<T> supply(Supplier<T> task) {
        try {
            return CompletableFuture.supplyAsync(task, executor);
        } catch (RejectedExecutionException full) {
            return CompletableFuture.failedFuture(ApiException.unavailable(ErrorCodes.SERVER_BUSY,
                    "Too many images are being decoded; retry shortly.", 1));
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        executor.shutdownNow();
    }
}
