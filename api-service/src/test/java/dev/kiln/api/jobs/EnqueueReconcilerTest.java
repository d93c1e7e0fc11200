package dev.kiln.api.jobs;

import dev.kiln.api.auth.PresentedKey;
import dev.kiln.api.redis.KilnRedis;
import dev.kiln.api.support.Kiln;
import dev.kiln.common.jobs.JobJson;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.common.redis.KilnScripts;
import dev.kiln.common.redis.RedisKeys;
import dev.kiln.common.redis.ScriptRunner;
import dev.kiln.devstack.quarkus.DevStackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The sweeper for jobs that were admitted but never reached Kafka, against the real Redis. The
 * stranded state (the enqueue failed and so did the refund) is produced with the real submit script;
 * its age is set by rescoring its enqueue-pending entry, and sweeps are run directly, not waited for.
 */
@QuarkusTest
@QuarkusTestResource(DevStackTestResource.class)
class EnqueueReconcilerTest {
    private static final long PRICE = 1_000;
    private static final long HOUR_MILLIS = 3_600_000;

    @Inject
    EnqueueReconciler reconciler;
    @Inject
    KilnRedis redis;

    @Test
    void failsAndRefundsAJobThatNeverReachedKafka() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 105_264);
        long balance = a.balanceMicros();
        String job = strand(a, 3);
        age(a, job, HOUR_MILLIS);

        assertThat(sweeps()).isGreaterThanOrEqualTo(1);

        assertThat(a.job(job)).containsEntry("status", "failed").containsEntry("error_code", "enqueue_failed")
                .containsEntry("settled", "1").containsEntry("refunded_micros", Long.toString(3 * PRICE));
        assertThat(a.balanceMicros()).isEqualTo(balance);
        assertThat(a.reservedMicros()).isZero();
        assertThat(a.ledgerBalanceMicros()).isEqualTo(balance);
        assertThat(Kiln.redis().zscore(RedisKeys.enqueuePending(a.id()), job)).isNull();
    }

    @Test
    void leavesAJobWhoseHandOffMayStillBeInFlightAlone() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 105_264);
        String job = strand(a, 1);

        sweeps();

        assertThat(a.job(job)).containsEntry("status", "queued");
        assertThat(a.reservedMicros()).isEqualTo(PRICE);
        assertThat(Kiln.redis().zscore(RedisKeys.enqueuePending(a.id()), job)).isNotNull();
    }

    @Test
    void dropsTheEntryOfAJobAWorkerAlreadyTookWithoutTouchingIt() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 105_264);
        String job = strand(a, 1);
        redis.completer().markRunning(a.id(), job).toCompletableFuture().get(5, TimeUnit.SECONDS);
        age(a, job, HOUR_MILLIS);

        sweeps();

        assertThat(a.job(job)).containsEntry("status", "running").containsEntry("settled", "0");
        assertThat(a.reservedMicros()).isEqualTo(PRICE);
        assertThat(Kiln.redis().zscore(RedisKeys.enqueuePending(a.id()), job)).isNull();
    }

    @Test
    void aSubmissionKafkaAcknowledgedLeavesNoEnqueuePendingEntry() {
        Kiln.Account a = Kiln.account("payg", "free", 105_264);
        given().header("Authorization", a.bearer()).header("Prefer", "respond-async").contentType(ContentType.JSON)
                .body(Map.of("prompt", "p")).post("/v1/images/generations").then().statusCode(202);
        // The removal is sent after the ack, off the response path.
        await().atMost(Duration.ofSeconds(10)).until(() -> Kiln.redis().zcard(RedisKeys.enqueuePending(a.id())) == 0);
        assertThat(a.jobCount()).isEqualTo(1);
    }

    /**
     * Enough sweeps to cover the whole keyspace the tests share (each sweep scans a bounded number of
     * keys and carries its cursor over); returns how many jobs they failed.
     */
    private int sweeps() throws Exception {
        long sweepsForAllKeys = Kiln.redis().dbsize() / 10_000 + 2;
        int failed = 0;
        for (int i = 0; i < sweepsForAllKeys; i++) {
            failed += reconciler.runOnce();
        }
        return failed;
    }

    /** A job admitted by the real submit script and never handed to Kafka (nor refunded). */
    private String strand(Kiln.Account a, int n) throws Exception {
        PresentedKey key = PresentedKey.from(a.bearer(), Kiln.config("kiln.api.key-pepper"));
        String jobId = "img_" + UUID.randomUUID().toString().replace("-", "");
        JobSpec spec = new JobSpec(JobSpec.SCHEMA_VERSION, jobId, a.id(), JobSpec.MODE_TXT2IMG, "sd-1.5-paid", "p", null,
                n, 512, 512, 30, 7.5, null, 1L, "pndm", null, System.currentTimeMillis(), Long.MAX_VALUE);
        String[] keys = {RedisKeys.account(a.id()), RedisKeys.apiKey(a.id(), key.keyHash()),
                RedisKeys.rateLimit(a.id(), RedisKeys.RL_REQUESTS, key.keyHash()),
                RedisKeys.rateLimit(a.id(), RedisKeys.RL_IMAGES, key.keyHash()),
                RedisKeys.job(a.id(), jobId), RedisKeys.ledger(a.id()), RedisKeys.idempotency(a.id(), "none"),
                RedisKeys.enqueuePending(a.id())};
        List<Object> reply = redis.scripts().run(KilnScripts.SUBMIT, keys, jobId, Integer.toString(n),
                        Long.toString(PRICE), JobJson.toJson(spec), "sd-1.5-paid", "", "86400", "86400", "60000", "free",
                        "free", "60", "60")
                .toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(ScriptRunner.str(reply, 0)).isEqualTo("ok");
        return jobId;
    }

    /** Makes the job's enqueue-pending entry look {@code millis} old. */
    private static void age(Kiln.Account a, String job, long millis) {
        String key = RedisKeys.enqueuePending(a.id());
        Kiln.redis().zadd(key, Kiln.redis().zscore(key, job) - millis, job);
    }
}
