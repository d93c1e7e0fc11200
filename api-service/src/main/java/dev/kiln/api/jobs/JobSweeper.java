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
import dev.kiln.common.jobs.SettleResult;
import dev.kiln.common.redis.RedisKeys;
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
 * Settles every job nobody settled by its deadline plus {@code kiln.api.sweeper.grace} (the
 * longest a batch started just before the deadline may still run): the worker died after
 * mark-running, a settle was lost in a Redis failover, or the Kafka record vanished (retention, a lost
 * partition). Such a job is expired and fully refunded through settle.lua, which settles a job exactly
 * once: a job whose worker settles it first is left as the worker left it.
 *
 * <p>
 * The index is each account's {@link RedisKeys#liveJobs} set (score = deadline), kept by the submit
 * and settle scripts in the account's slot; the sweeper reaches the accounts through the
 * {@link RedisKeys#ACCOUNTS} registry, in pages whose cursor carries over between runs, never through
 * a keyspace SCAN. One instance sweeps at a time ({@link SweepLock}).
 */
@ApplicationScoped
public class JobSweeper {
    private static final Logger LOG = Logger.getLogger(JobSweeper.class);
    private static final int REGISTRY_PAGE = 200;
    static final String REASON = "the job was not finished by its deadline; nothing was charged";

    private final ApiRedis redis;
    private final ApiConfig.Sweeper config;
    private final long redisTimeoutMillis;
    private final SweepLock lock;
    private final Counter expired;
    private PeriodicPass timer;
    private ScanCursor cursor = ScanCursor.INITIAL;

    public JobSweeper(ApiRedis redis, ApiConfig config, MeterRegistry metrics) {
        this.redis = redis;
        this.config = config.sweeper();
        this.redisTimeoutMillis = config.redis().timeout().toMillis();
        this.lock = SweepLock.sweeper(this.config.lockTtl().toMillis(), redisTimeoutMillis);
        this.expired = Counter.builder("kiln.api.swept.jobs")
                .description("Jobs expired and refunded by the sweeper because nobody settled them by their deadline")
                .register(metrics);
    }

    void onStart(@Observes StartupEvent event) {
        if (!config.enabled()) {
            return;
        }
        timer = PeriodicPass.start("job-sweeper", config.interval(), this::runOnce);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (timer != null) {
            timer.close();
        }
    }

    /**
     * One bounded sweep if this instance gets the lock: returns the jobs it expired (0 when another
     * instance holds the lock). Synchronized because the timer and tests may call it.
     */
    public synchronized int runOnce() throws Exception {
        RedisAsyncCommands<String, String> commands = redis.commands();
        if (!lock.tryAcquire(commands)) {
            return 0;
        }
        try {
            return sweep(commands);
        } finally {
            lock.release(redis.scripts());
        }
    }

    private int sweep(RedisAsyncCommands<String, String> commands) throws Exception {
        long cutoffMillis = serverMillis(commands) - config.grace().toMillis();
        int visited = 0;
        int budget = config.maxJobsPerRun();
        while (visited < config.maxAccountsPerRun() && budget > 0) {
            ValueScanCursor<String> page = get(commands.sscan(RedisKeys.ACCOUNTS, cursor,
                    ScanArgs.Builder.limit(REGISTRY_PAGE)));
            budget -= sweepAccounts(commands, page.getValues(), cutoffMillis, budget);
            visited += page.getValues().size();
            cursor = page.isFinished() ? ScanCursor.INITIAL : page;
            if (page.isFinished()) {
                break;
            }
        }
        return config.maxJobsPerRun() - budget;
    }

    /** Reads the overdue entries of a page of accounts in one pipelined burst, then settles them. */
    private int sweepAccounts(RedisAsyncCommands<String, String> commands, List<String> accounts, long cutoffMillis,
            int budget) throws Exception {
        List<String> valid = accounts.stream().filter(RedisKeys::isValidAccountId).toList();
        List<RedisFuture<List<String>>> overdue = new ArrayList<>(valid.size());
        for (String account : valid) {
            overdue.add(commands.zrangebyscore(RedisKeys.liveJobs(account),
                    Range.create(Double.NEGATIVE_INFINITY, (double) cutoffMillis), Limit.create(0, budget)));
        }
        int settled = 0;
        for (int i = 0; i < valid.size() && settled < budget; i++) {
            for (String jobId : get(overdue.get(i))) {
                if (settled >= budget) {
                    break;
                }
                settled += settle(commands, valid.get(i), jobId);
            }
        }
        return settled;
    }

    private int settle(RedisAsyncCommands<String, String> commands, String account, String jobId) throws Exception {
        String index = RedisKeys.liveJobs(account);
        if (!RedisKeys.isValidJobId(jobId)) {
            get(commands.zrem(index, jobId));
            return 0;
        }
        SettleResult result = get(redis.completer().expire(account, jobId, REASON));
        switch (result.outcome()) {
            case SETTLED -> {
                expired.increment();
                LOG.warnf("job %s of account %s was not settled by its deadline: expired, refunded %d micros", jobId,
                        account, result.refundedMicros());
                return 1;
            }
            case MISSING -> {
                // The record is gone (its TTL passed) while its reservation stayed: it cannot be repaired from Redis.
                LOG.errorf("job %s of account %s is past its deadline and has no record; its reservation needs an "
                        + "operator (see operations.md)", jobId, account);
                get(commands.zrem(index, jobId));
            }
            // Settled by a version whose settle script did not maintain the index: only the entry is stale.
            default -> get(commands.zrem(index, jobId));
        }
        return 0;
    }

    private long serverMillis(RedisAsyncCommands<String, String> commands) throws Exception {
        // Redis's clock: every instance compares deadlines with the same one.
        List<String> time = get(commands.time());
        return Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
    }

    private <T> T get(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(redisTimeoutMillis + 1000, TimeUnit.MILLISECONDS);
    }
}
