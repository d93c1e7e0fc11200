package dev.kiln.common.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kiln.common.redis.KilnScripts;
import dev.kiln.common.redis.RedisConnections;
import dev.kiln.common.redis.RedisKeys;
import dev.kiln.common.redis.ScriptRunner;
import dev.kiln.common.storage.S3Keys;
import dev.kiln.devstack.redis.RedisServer;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;

/** The settle / mark-running scripts against a real Redis, through the API the worker uses. */
class JobCompleterTest {
    private static final long PRICE = 1_000;
    @TempDir
    static Path workDir;
    private static RedisServer server;
    private static RedisClient client;
    private static StatefulRedisConnection<String, String> connection;
    private static RedisCommands<String, String> redis;
    private static JobCompleter completer;
    private static ScriptRunner scripts;

    private String account;

    @BeforeAll
    static void startRedis() {
        server = RedisServer.start(workDir.resolve("redis"), Duration.ofSeconds(60));
        client = RedisConnections.client(server.uri(), 5000);
        connection = client.connect();
        redis = connection.sync();
        scripts = new ScriptRunner(connection.async());
        completer = new JobCompleter(scripts);
        // The scripts must run on Redis 6.2 (embedded) and 7.x (Debian's redis-server on the PATH): say which ran.
        String info = redis.info("server");
        System.out.println(
                "JobCompleterTest runs on " + info.lines().filter(l -> l.startsWith("redis_version")).findFirst().orElse("?"));
    }

    @AfterAll
    static void stopRedis() {
        if (connection != null) {
            connection.close();
            client.shutdown();
        }
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void newAccountWithKeyAndWallet() {
        account = "t" + UUID.randomUUID().toString().substring(0, 8);
        redis.hset(RedisKeys.account(account), Map.of("plan", "payg", "tier", "t", "balance_micros", "10000",
                "reserved_micros", "0"));
        redis.hset(RedisKeys.apiKey(account, "kh"), Map.of("status", "active"));
    }

    private String submit(int n) throws Exception {
        return submit(n, false);
    }

    private String submit(int n, boolean trackEnqueue) throws Exception {
        String jobId = "img_" + UUID.randomUUID().toString().replace("-", "");
        JobSpec spec = new JobSpec(JobSpec.SCHEMA_VERSION, jobId, account, JobSpec.MODE_TXT2IMG, "sd-1.5", "p", null,
                n, 64, 64, 2, 7.5, null, 1L, "pndm", null, 0L, Long.MAX_VALUE);
        String[] keys = { RedisKeys.account(account), RedisKeys.apiKey(account, "kh"),
                RedisKeys.rateLimit(account, "req", "kh"), RedisKeys.rateLimit(account, "img", "kh"),
                RedisKeys.job(account, jobId), RedisKeys.ledger(account), RedisKeys.idempotency(account, "none") };
        if (trackEnqueue) {
            keys = Arrays.copyOf(keys, 8);
            keys[7] = RedisKeys.enqueuePending(account);
        }
        List<Object> reply = scripts.run(KilnScripts.SUBMIT, keys, jobId, Integer.toString(n), Long.toString(PRICE),
                JobJson.toJson(spec), "sd-1.5", "", "86400", "3600", "60000", "0", "t", "t", "1000", "1000")
                .toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(ScriptRunner.str(reply, 0)).isEqualTo("ok");
        return jobId;
    }

    private long balance() {
        return Long.parseLong(redis.hget(RedisKeys.account(account), "balance_micros"));
    }

    private long reserved() {
        return Long.parseLong(redis.hget(RedisKeys.account(account), "reserved_micros"));
    }

    private <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void submitWithAnEnqueuePendingKeyRecordsTheJobThere() throws Exception {
        String job = submit(1, true);
        assertThat(redis.zscore(RedisKeys.enqueuePending(account), job)).isNotNull();
        assertThat(redis.ttl(RedisKeys.enqueuePending(account))).isPositive();
    }

    @Test
    void submitWithoutAnEnqueuePendingKeyWritesNoMarker() throws Exception {
        submit(1);
        assertThat(redis.exists(RedisKeys.enqueuePending(account))).isZero();
    }

    @Test
    void submitReservesNTimesThePriceAndQueuesTheJob() throws Exception {
        String job = submit(3);
        assertThat(balance()).isEqualTo(10_000 - 3 * PRICE);
        assertThat(reserved()).isEqualTo(3 * PRICE);
        JobRecord r = JobRecord.fromHash(job, redis.hgetall(RedisKeys.job(account, job)));
        assertThat(r.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(r.reservedMicros()).isEqualTo(3 * PRICE);
        assertThat(r.spec().n()).isEqualTo(3);
    }

    @Test
    void completeChargesOnlyProducedImagesAndRefundsTheRest() throws Exception {
        String job = submit(3);
        SettleResult result = await(completer.complete(JobOutcome.succeeded(account, job, S3Keys.outputs(job, 2))));
        assertThat(result.outcome()).isEqualTo(SettleResult.Outcome.SETTLED);
        assertThat(result.chargedMicros()).isEqualTo(2 * PRICE);
        assertThat(result.refundedMicros()).isEqualTo(PRICE);
        assertThat(balance()).isEqualTo(10_000 - 2 * PRICE);
        assertThat(reserved()).isZero();
        JobRecord r = JobRecord.fromHash(job, redis.hgetall(RedisKeys.job(account, job)));
        assertThat(r.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(r.resultKeys()).containsExactly("outputs/" + job + "/0.png", "outputs/" + job + "/1.png");
    }

    @Test
    void completingTwiceSettlesOnce() throws Exception {
        String job = submit(2);
        await(completer.complete(JobOutcome.succeeded(account, job, S3Keys.outputs(job, 2))));
        SettleResult again = await(completer.complete(JobOutcome.failed(account, job, null, "late failure")));
        assertThat(again.outcome()).isEqualTo(SettleResult.Outcome.ALREADY_TERMINAL);
        assertThat(again.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(balance()).isEqualTo(10_000 - 2 * PRICE);
        long settles = redis.xrange(RedisKeys.ledger(account), Range.create("-", "+")).stream()
                .filter(m -> "settle".equals(m.getBody().get("type"))).count();
        assertThat(settles).isEqualTo(1);
    }

    @Test
    void failureRefundsTheWholeReservation() throws Exception {
        String job = submit(2);
        SettleResult r = await(completer.complete(JobOutcome.failed(account, job, "oom", "out of memory")));
        assertThat(r.refundedMicros()).isEqualTo(2 * PRICE);
        assertThat(balance()).isEqualTo(10_000);
        assertThat(redis.hget(RedisKeys.job(account, job), "error_code")).isEqualTo("oom");
    }

    @Test
    void cancelRefundsAQueuedJobButRefusesARunningOne() throws Exception {
        String queued = submit(1);
        String running = submit(1);
        await(completer.markRunning(account, running));
        assertThat(await(completer.cancel(account, queued)).outcome()).isEqualTo(SettleResult.Outcome.SETTLED);
        SettleResult refused = await(completer.cancel(account, running));
        assertThat(refused.outcome()).isEqualTo(SettleResult.Outcome.NOT_ALLOWED);
        assertThat(refused.status()).isEqualTo(JobStatus.RUNNING);
        assertThat(balance()).isEqualTo(10_000 - PRICE);
    }

    @Test
    void markRunningCountsAttemptsAndSkipsTerminalJobs() throws Exception {
        String job = submit(1);
        assertThat(await(completer.markRunning(account, job)).attempts()).isEqualTo(1);
        MarkRunningResult redelivered = await(completer.markRunning(account, job));
        assertThat(redelivered.shouldRun()).isTrue();
        assertThat(redelivered.attempts()).isEqualTo(2);
        await(completer.expire(account, job, "deadline passed"));
        MarkRunningResult after = await(completer.markRunning(account, job));
        assertThat(after.shouldRun()).isFalse();
        assertThat(after.status()).isEqualTo(JobStatus.EXPIRED);
        assertThat(balance()).isEqualTo(10_000);
    }

    @Test
    void unknownJobIsReportedMissing() throws Exception {
        assertThat(await(completer.markRunning(account, "img_nope")).outcome()).isEqualTo(MarkRunningResult.Outcome.MISSING);
        assertThat(await(completer.expire(account, "img_nope", "x")).outcome()).isEqualTo(SettleResult.Outcome.MISSING);
    }

    @Test
    void settlingPublishesTheTerminalStatusOnTheJobChannel() throws Exception {
        String job = submit(1);
        CompletableFuture<String> received = new CompletableFuture<>();
        try (StatefulRedisPubSubConnection<String, String> sub = client.connectPubSub()) {
            sub.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String message) {
                    received.complete(channel + "=" + message);
                }
            });
            sub.sync().subscribe(RedisKeys.jobDoneChannel(job));
            await(completer.complete(JobOutcome.succeeded(account, job, S3Keys.outputs(job, 1))));
            assertThat(received.get(5, TimeUnit.SECONDS)).isEqualTo("kiln:job-done:" + job + "=succeeded");
        }
    }

    @Test
    void ledgerDeltasSumToTheBalanceAndReservations() throws Exception {
        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            jobs.add(submit(2));
        }
        await(completer.complete(JobOutcome.succeeded(account, jobs.get(0), S3Keys.outputs(jobs.get(0), 2))));
        await(completer.complete(JobOutcome.failed(account, jobs.get(1), null, "x")));
        await(completer.cancel(account, jobs.get(2)));
        // The initial 10 000 was written directly, not through a top-up, so add it to the sum.
        long balanceDelta = 10_000, reservedDelta = 0;
        for (var m : redis.xrange(RedisKeys.ledger(account), Range.create("-", "+"))) {
            balanceDelta += Long.parseLong(m.getBody().get("balance_delta_micros"));
            reservedDelta += Long.parseLong(m.getBody().get("reserved_delta_micros"));
        }
        assertThat(balanceDelta).isEqualTo(balance());
        assertThat(reservedDelta).isEqualTo(reserved()).isEqualTo(2 * PRICE);
    }

    @Test
    void scriptsStillRunAfterRedisForgetsThem() throws Exception {
        String job = submit(1);
        redis.scriptFlush();
        assertThat(await(completer.markRunning(account, job)).shouldRun()).isTrue();
    }
}
