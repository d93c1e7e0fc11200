package dev.kiln.api.jobs;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.redis.KilnRedis;
import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.jobs.SettleResult;
import dev.kiln.common.redis.RedisKeys;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Fails and refunds jobs that were admitted (money reserved, record {@code queued}) but never
 * acknowledged by Kafka, which happens only when the enqueue failed and the immediate refund failed
 * too (Redis down at that instant), or the instance died between the two. The submit script records
 * every admitted job in the account's {@link RedisKeys#enqueuePending} set and the API removes it
 * after the Kafka ack, so an old entry is a job no worker will ever see.
 *
 * <p>Each sweep walks the keyspace with SCAN for those sets, bounded per run in keys examined and
 * jobs failed; the cursor carries over, so a large keyspace is covered over several sweeps. Failing
 * goes through {@code JobCompleter.failQueued}, which only acts on a still-queued job, so several
 * instances sweeping at once, or a job a worker already took, are harmless.
 */
@ApplicationScoped
public class EnqueueReconciler {
    private static final Logger LOG = Logger.getLogger(EnqueueReconciler.class);
    private static final int SCAN_PAGE = 500;

    private final KilnRedis redis;
    private final ApiConfig.Reconcile config;
    private final long redisTimeoutMillis;
    private final Counter reconciled;
    private ScheduledExecutorService timer;
    private ScanCursor cursor = ScanCursor.INITIAL;

    public EnqueueReconciler(KilnRedis redis, ApiConfig config, MeterRegistry metrics) {
        this.redis = redis;
        this.config = config.reconcile();
        this.redisTimeoutMillis = config.redis().timeout().toMillis();
        this.reconciled = Counter.builder("kiln.api.reconciled.jobs")
                .description("Jobs failed and refunded because they never reached Kafka").register(metrics);
    }

    void onStart(@Observes StartupEvent event) {
        if (!config.enabled()) {
            return;
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kiln-enqueue-reconciler");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::runQuietly, config.intervalMillis(), config.intervalMillis(),
                TimeUnit.MILLISECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    private void runQuietly() {
        try {
            runOnce();
        } catch (Exception e) {
            // Redis trouble: the next sweep retries from the same cursor.
            LOG.warnf("enqueue reconciliation skipped: %s", e.toString());
        }
    }

    /**
     * One bounded sweep: returns how many jobs it failed and refunded. Synchronized because the
     * timer and tests may call it; the cursor is per instance.
     */
    public synchronized int runOnce() throws Exception {
        RedisAsyncCommands<String, String> commands = redis.commands();
        long nowMillis = serverMillis(commands);
        long cutoffMillis = nowMillis - config.minAgeMillis();
        int scanned = 0;
        int failed = 0;
        do {
            ScanCursor from = cursor;
            var page = get(commands.scan(from, ScanArgs.Builder.matches(RedisKeys.ENQUEUE_PENDING_PATTERN)
                    .limit(SCAN_PAGE)));
            for (String key : page.getKeys()) {
                if (failed >= config.maxJobsPerRun()) {
                    // Out of budget mid-page: the next sweep starts this page again.
                    cursor = from;
                    return failed;
                }
                failed += reconcile(commands, key, cutoffMillis, config.maxJobsPerRun() - failed);
            }
            cursor = page.isFinished() ? ScanCursor.INITIAL : page;
            scanned += SCAN_PAGE;
            if (page.isFinished()) {
                break;
            }
        } while (scanned < config.maxScannedKeysPerRun());
        return failed;
    }

    private int reconcile(RedisAsyncCommands<String, String> commands, String key, long cutoffMillis, int budget)
            throws Exception {
        String account = RedisKeys.accountOf(key);
        if (account == null) {
            return 0;
        }
        List<String> stale = get(commands.zrangebyscore(key, Range.create(Double.NEGATIVE_INFINITY, (double) cutoffMillis),
                Limit.create(0, budget)));
        int failed = 0;
        for (String jobId : stale) {
            if (!RedisKeys.isValidJobId(jobId)) {
                get(commands.zrem(key, jobId));
                continue;
            }
            SettleResult result = get(redis.completer().failQueued(account, jobId, ErrorCodes.ENQUEUE_FAILED,
                    "The job could not be queued."));
            // Whatever the outcome (refunded now, already running or finished, record gone), the entry is done.
            get(commands.zrem(key, jobId));
            if (result.outcome() == SettleResult.Outcome.SETTLED) {
                failed++;
                reconciled.increment();
                LOG.warnf("job %s of account %s never reached Kafka: failed and refunded %d micros", jobId, account,
                        result.refundedMicros());
            }
        }
        return failed;
    }

    private long serverMillis(RedisAsyncCommands<String, String> commands) throws Exception {
        // Redis's clock, the one the submit script scored the entries with: no skew between instances.
        List<String> time = get(commands.time());
        return Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
    }

    private <T> T get(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(redisTimeoutMillis + 1000, TimeUnit.MILLISECONDS);
    }
}
