package dev.kiln.api.jobs;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.redis.ApiRedis;
import dev.kiln.common.jobs.JobRecord;
import dev.kiln.common.redis.RedisKeys;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;

/**
 * Lets synchronous callers wait for their job without holding a thread. One pattern subscription
 * ({@code PSUBSCRIBE kiln:job-done:*}) per instance feeds a map of waiting futures; each waiter
 * re-reads the job record after registering, which closes the race with a completion published
 * before it registered. Each instance sees every completion message (a few bytes each), which keeps
 * subscription bookkeeping out of the hot path. Waiters are bounded by {@code kiln.api.wait.max-waiters},
 * claimed before admission ({@link #tryReserve}).
 */
@ApplicationScoped
public class JobWaiter {
    private static final Logger LOG = Logger.getLogger(JobWaiter.class);
    private static final String PREFIX = "kiln:job-done:";
    /** Re-read period while the job-done subscription is not (yet) established. */
    private static final Duration POLL_INTERVAL = Duration.ofMillis(500);

    private final ApiRedis redis;
    private final int maxWaiters;
    private final Map<String, Set<CompletableFuture<Void>>> waiters = new ConcurrentHashMap<>();
    private final AtomicInteger waiting = new AtomicInteger();
    private volatile boolean subscribed;
    private boolean listening;
    private final AtomicBoolean subscribing = new AtomicBoolean();

    public JobWaiter(ApiRedis redis, ApiConfig config, MeterRegistry metrics) {
        this.redis = redis;
        this.maxWaiters = config.syncWait().maxWaiters();
        Gauge.builder("kiln.api.sync.waiters", waiting, AtomicInteger::get)
                .description("Synchronous callers waiting for their job").register(metrics);
    }

    void onStart(@Observes StartupEvent event) {
        try {
            ensureSubscribed();
        } catch (RuntimeException e) {
            LOG.warnf("job-done subscription not established yet: %s", e.getMessage());
        }
    }

    private void subscribeInBackground() {
        if (!subscribing.compareAndSet(false, true)) {
            return;
        }
        Thread t = new Thread(() -> {
            try {
                ensureSubscribed();
            } catch (RuntimeException e) {
                LOG.warnf("job-done subscription failed: %s", e.getMessage());
            } finally {
                subscribing.set(false);
            }
        }, "kiln-job-done-subscribe");
        t.setDaemon(true);
        t.start();
    }

    private synchronized void ensureSubscribed() {
        if (subscribed) {
            return;
        }
        var connection = redis.pubSub();
        if (!listening) {
            listening = true;
            connection.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String pattern, String channel, String message) {
                    Set<CompletableFuture<Void>> set = waiters.get(channel.substring(PREFIX.length()));
                    if (set != null) {
                        set.forEach(f -> f.complete(null));
                    }
                }
            });
        }
        connection.sync().psubscribe(PREFIX + "*");
        subscribed = true;
    }

    /** How many callers are waiting now (a metric). */
    public int waiting() {
        return waiting.get();
    }

    /**
     * Claims one of the {@code kiln.api.wait.max-waiters} slots for a synchronous caller, before its job
     * is admitted, so that a caller who cannot wait is refused with nothing charged. The caller gives
     * it back with {@link #release} once it has answered.
     */
    public boolean tryReserve() {
        // Claim atomically so concurrent callers can never push the count past the cap.
        if (waiting.incrementAndGet() > maxWaiters) {
            waiting.decrementAndGet();
            return false;
        }
        return true;
    }

    /** Gives back a slot claimed with {@link #tryReserve}. */
    public void release() {
        waiting.decrementAndGet();
    }

    /**
     * Completes with the job record once it is terminal or {@code max} has passed (then with the
     * record as it is, possibly still queued/running). Null when the record does not exist. The
     * caller holds a slot from {@link #tryReserve}.
     */
    public CompletionStage<JobRecord> await(String accountId, String jobId, Duration max) {
        if (max.isZero()) {
            return read(accountId, jobId);
        }
        if (!subscribed) {
            // Never block here (this may run on an I/O thread): subscribe in the background and poll meanwhile.
            subscribeInBackground();
            return poll(accountId, jobId, System.nanoTime() + max.toNanos());
        }
        CompletableFuture<Void> signal = new CompletableFuture<>();
        waiters.computeIfAbsent(jobId, k -> ConcurrentHashMap.newKeySet()).add(signal);
        // Re-read after registering: a completion published before we registered is seen here.
        read(accountId, jobId).whenComplete((record, error) -> {
            if (error != null || record == null || record.status().isTerminal()) {
                signal.complete(null);
            }
        });
        signal.completeOnTimeout(null, max.toMillis(), TimeUnit.MILLISECONDS);
        return signal.thenCompose(ignored -> {
            unregister(jobId, signal);
            return read(accountId, jobId);
        });
    }

    /** Re-reads the record every {@link #POLL_INTERVAL} until it is terminal or the deadline passed. */
    private CompletionStage<JobRecord> poll(String accountId, String jobId, long deadlineNanos) {
        return read(accountId, jobId).thenCompose(record -> {
            long left = deadlineNanos - System.nanoTime();
            if (record == null || record.status().isTerminal() || left <= 0) {
                return CompletableFuture.completedFuture(record);
            }
            long delay = Math.min(left, POLL_INTERVAL.toNanos());
            return CompletableFuture.supplyAsync(() -> null,
                    CompletableFuture.delayedExecutor(delay, TimeUnit.NANOSECONDS))
                    .thenCompose(ignored -> poll(accountId, jobId, deadlineNanos));
        });
    }

    private void unregister(String jobId, CompletableFuture<Void> signal) {
        waiters.computeIfPresent(jobId, (k, set) -> {
            set.remove(signal);
            return set.isEmpty() ? null : set;
        });
    }

    public CompletionStage<JobRecord> read(String accountId, String jobId) {
        return redis.commands().hgetall(RedisKeys.job(accountId, jobId))
                .thenApply(hash -> JobRecord.fromHash(jobId, hash));
    }
}
