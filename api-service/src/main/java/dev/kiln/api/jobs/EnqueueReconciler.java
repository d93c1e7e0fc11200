package dev.kiln.api.jobs;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.redis.ApiRedis;
import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.jobs.SettleResult;
import dev.kiln.common.redis.RedisKeys;
import io.lettuce.core.KeyValue;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ValueScanCursor;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

/**
 * Fails and refunds jobs that were admitted (money reserved, record {@code queued}) but whose Kafka
 * send is genuinely unconfirmed: the enqueue failed and the immediate refund failed too (Redis down at
 * that instant), or the instance died between admission and the ack. The submit script records every
 * admitted job in the account's {@link RedisKeys#enqueuePending} set and the API removes it after the
 * Kafka ack; an entry can also outlive a successful send (a removal lost to a crash or a Redis error),
 * so an old entry alone proves nothing: such a job may be waiting in a backlog of tens of minutes.
 *
 * <p>
 * A job is therefore failed only when the worker group has processed the jobs topic past the time
 * its send would have completed ({@link QueueLagMonitor#consumedBeforeMillis()}: admission + enqueue
 * timeout + clock skew) and the job is still {@code queued}, which no processed record leaves. Until
 * then its entry stays; a backlog only delays the repair. Accounts are reached through the registry
 * {@link RedisKeys#ACCOUNTS} in pages (the cursor carries over), never through a keyspace SCAN. Failing
 * goes through {@code JobCompleter.failQueued}, which acts only on a still-queued job, so instances
 * sweeping at once are harmless.
 */
@ApplicationScoped
public class EnqueueReconciler {
    private static final Logger LOG = Logger.getLogger(EnqueueReconciler.class);
    private static final int REGISTRY_PAGE = 200;

    private final ApiRedis redis;
    private final QueueLagMonitor queue;
    private final ApiConfig.Reconcile config;
    private final long sendBoundMillis;
    private final long redisTimeoutMillis;
    private final Counter reconciled;
    private PeriodicPass timer;
    private ScanCursor cursor = ScanCursor.INITIAL;

    public EnqueueReconciler(ApiRedis redis, QueueLagMonitor queue, ApiConfig config, MeterRegistry metrics) {
        this.redis = redis;
        this.queue = queue;
        this.config = config.reconcile();
        this.sendBoundMillis = config.queue().enqueueTimeout().plus(this.config.maxClockSkew()).toMillis();
        this.redisTimeoutMillis = config.redis().timeout().toMillis();
        this.reconciled = Counter.builder("kiln.api.reconciled.jobs")
                .description("Jobs failed and refunded because they never reached Kafka").register(metrics);
    }

    void onStart(@Observes StartupEvent event) {
        if (!config.enabled()) {
            return;
        }
        timer = PeriodicPass.start("enqueue-reconciler", config.interval(), this::runOnce);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (timer != null) {
            timer.close();
        }
    }

    /**
     * One bounded sweep: returns how many jobs it failed and refunded. Synchronized because the
     * timer and tests may call it; the cursor is per instance.
     */
    public synchronized int runOnce() throws Exception {
        RedisAsyncCommands<String, String> commands = redis.commands();
        long cutoffMillis = serverMillis(commands) - config.minAge().toMillis();
        long consumedBefore = queue.consumedBeforeMillis();
        int visited = 0;
        int budget = config.maxJobsPerRun();
        while (visited < config.maxAccountsPerRun() && budget > 0) {
            ValueScanCursor<String> page = get(commands.sscan(RedisKeys.ACCOUNTS, cursor,
                    ScanArgs.Builder.limit(REGISTRY_PAGE)));
            budget -= reconcileAccounts(commands, page.getValues(), cutoffMillis, consumedBefore, budget);
            visited += page.getValues().size();
            cursor = page.isFinished() ? ScanCursor.INITIAL : page;
            if (page.isFinished()) {
                break;
            }
        }
        return config.maxJobsPerRun() - budget;
    }

    /** Reads the old entries of a page of accounts in one pipelined burst, then decides each. */
    private int reconcileAccounts(RedisAsyncCommands<String, String> commands, List<String> accounts, long cutoffMillis,
            long consumedBefore, int budget) throws Exception {
        List<String> valid = accounts.stream().filter(RedisKeys::isValidAccountId).toList();
        List<RedisFuture<List<String>>> old = new ArrayList<>(valid.size());
        for (String account : valid) {
            old.add(commands.zrangebyscore(RedisKeys.enqueuePending(account),
                    Range.create(Double.NEGATIVE_INFINITY, (double) cutoffMillis), Limit.create(0, budget)));
        }
        int failed = 0;
        for (int i = 0; i < valid.size() && failed < budget; i++) {
            for (String jobId : get(old.get(i))) {
                if (failed >= budget) {
                    break;
                }
                failed += reconcile(commands, valid.get(i), jobId, consumedBefore);
            }
        }
        return failed;
    }

    private int reconcile(RedisAsyncCommands<String, String> commands, String account, String jobId,
            long consumedBefore) throws Exception {
        String key = RedisKeys.enqueuePending(account);
        if (!RedisKeys.isValidJobId(jobId)) {
            get(commands.zrem(key, jobId));
            return 0;
        }
        List<KeyValue<String, String>> record = get(commands.hmget(RedisKeys.job(account, jobId),
                "status", "created_ms"));
        String status = record.get(0).getValueOrElse(null);
        if (!"queued".equals(status)) {
            // Taken by a worker (so it is in Kafka), settled, or its record is gone: the entry is done.
            get(commands.zrem(key, jobId));
            return 0;
        }
        long createdMillis = Long.parseLong(record.get(1).getValueOrElse("0"));
        if (createdMillis + sendBoundMillis >= consumedBefore) {
            // Its send may have succeeded and the record may still wait in the backlog: not ours to fail yet.
            return 0;
        }
        SettleResult result = get(redis.completer().failQueued(account, jobId, ErrorCodes.ENQUEUE_FAILED,
                "The job could not be queued."));
        get(commands.zrem(key, jobId));
        if (result.outcome() != SettleResult.Outcome.SETTLED) {
            return 0;
        }
        reconciled.increment();
        LOG.warnf("job %s of account %s never reached Kafka (the workers processed the topic past it): failed and "
                + "refunded %d micros", jobId, account, result.refundedMicros());
        return 1;
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
