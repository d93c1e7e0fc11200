package dev.kiln.api.jobs;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;

import org.jboss.logging.Logger;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.redis.ApiRedis;
import dev.kiln.common.redis.RedisKeys;
import io.quarkus.runtime.ShutdownEvent;

/**
 * Takes Kafka-acknowledged jobs out of their account's {@link RedisKeys#enqueuePending} set, a few
 * milliseconds after the ack and many jobs per command: one {@code ZREM key job…} per account and
 * flush instead of one per job, which halves the Redis commands of a submission under load. The
 * entry only matters to the {@link EnqueueReconciler} once it is {@code kiln.api.reconcile.min-age}
 * old (minutes), so the delay costs nothing; a removal lost to a Redis error or a crash leaves the
 * case docs/api.md describes for a lost removal.
 */
@ApplicationScoped
public class EnqueuePendingRemover {
    private static final Logger LOG = Logger.getLogger(EnqueuePendingRemover.class);
    /** Delay between the first ack of a batch and its removal: a few ms gathers many jobs at high rates. */
    static final long FLUSH_DELAY_MILLIS = 5;
    /** Entries held at most; a full buffer flushes at once instead of waiting for the delay. */
    static final int CAPACITY = 8192;
    /** Sends of one removal before it is given up (logged at WARN; the reconciler then judges the job). */
    static final int MAX_ATTEMPTS = 3;
    /** Delay before a failed removal is sent again. */
    static final long RETRY_DELAY_MILLIS = 1000;

    private record Entry(String accountId, String jobId, int attempt) {
    }

    private final ApiRedis redis;
    private final long flushDelayMillis;
    private final BlockingQueue<Entry> acked;
    private final long redisTimeoutMillis;
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "kiln-enqueue-pending-remover");
        t.setDaemon(true);
        return t;
    });

    @Inject
    public EnqueuePendingRemover(ApiRedis redis, ApiConfig config) {
        this(redis, FLUSH_DELAY_MILLIS, CAPACITY, config.redis().timeout().toMillis());
    }

    EnqueuePendingRemover(ApiRedis redis, long flushDelayMillis, int capacity, long redisTimeoutMillis) {
        this.redis = redis;
        this.flushDelayMillis = flushDelayMillis;
        this.acked = new ArrayBlockingQueue<>(capacity);
        this.redisTimeoutMillis = redisTimeoutMillis;
    }

    /** Schedules removal of the job's enqueue-pending entry (its record is in Kafka). */
    public void remove(String accountId, String jobId) {
        while (!acked.offer(new Entry(accountId, jobId, 1))) {
            flush();
        }
        if (flushScheduled.compareAndSet(false, true)) {
            timer.schedule(this::flush, flushDelayMillis, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Removes one entry now, not batched: the enqueue-failure path answers its 503 only after the
     * refund, and the entry must be gone by then (the command is ordered before the caller's next one
     * on the shared connection).
     */
    public void removeNow(String accountId, String jobId) {
        zrem(accountId, List.of(new Entry(accountId, jobId, MAX_ATTEMPTS)));
    }

    /** Before {@link ApiRedis} closes its connection (default observer priority), so the last acks are removed. */
    void onStop(@Observes @Priority(Interceptor.Priority.APPLICATION) ShutdownEvent event) {
        timer.shutdown();
        try {
            flush().get(redisTimeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warnf("last enqueue-pending removals not confirmed: %s", e.toString());
        }
    }

    /** Sends what is buffered, one ZREM per account; completes when Redis answered them all (or failed). */
    CompletableFuture<Void> flush() {
        flushScheduled.set(false);
        List<Entry> batch = new ArrayList<>(acked.size());
        acked.drainTo(batch);
        Map<String, List<Entry>> jobsByAccount = new HashMap<>();
        for (Entry e : batch) {
            jobsByAccount.computeIfAbsent(e.accountId(), a -> new ArrayList<>()).add(e);
        }
        return CompletableFuture.allOf(jobsByAccount.entrySet().stream()
                .map(e -> zrem(e.getKey(), e.getValue())).toArray(CompletableFuture[]::new));
    }

    private CompletableFuture<Void> zrem(String accountId, List<Entry> entries) {
        String[] jobIds = entries.stream().map(Entry::jobId).toArray(String[]::new);
        try {
            return redis.commands().zrem(RedisKeys.enqueuePending(accountId), jobIds)
                    .handle((removed, error) -> {
                        if (error != null) {
                            notRemoved(accountId, entries, error);
                        }
                        return (Void) null;
                    }).toCompletableFuture();
        } catch (RuntimeException e) {
            notRemoved(accountId, entries, e);
            return CompletableFuture.completedFuture(null);
        }
    }

    /**
     * A lost removal leaves a job that is in Kafka looking unconfirmed; the reconciler will not fail it
     * while it may still be in the backlog, but the entry costs a check per sweep until then. So: WARN,
     * and send it again a little later, a bounded number of times.
     */
    private void notRemoved(String accountId, List<Entry> entries, Throwable error) {
        List<Entry> again = entries.stream().filter(e -> e.attempt() < MAX_ATTEMPTS)
                .map(e -> new Entry(e.accountId(), e.jobId(), e.attempt() + 1)).toList();
        LOG.warnf("%d enqueue-pending entries of account %s not removed (%s); %d will be retried", entries.size(),
                accountId, error.toString(), again.size());
        if (again.isEmpty()) {
            return;
        }
        try {
            timer.schedule(() -> {
                // offer, not put: never block the timer; a full buffer means removals are flowing again.
                again.forEach(acked::offer);
                flush();
            }, RETRY_DELAY_MILLIS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException shuttingDown) {
            LOG.warnf("shutting down: %d enqueue-pending removals of account %s dropped", again.size(), accountId);
        }
    }
}
