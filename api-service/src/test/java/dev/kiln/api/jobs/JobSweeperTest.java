package dev.kiln.api.jobs;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.kiln.api.redis.ApiRedis;
import dev.kiln.api.support.Kiln;
import dev.kiln.common.jobs.JobJson;
import dev.kiln.common.jobs.JobOutcome;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.common.redis.RedisKeys;
import dev.kiln.common.storage.S3Keys;
import dev.kiln.devstack.quarkus.DevStackTestResource;
import io.lettuce.core.Range;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/**
 * The sweeper of jobs nobody settled by their deadline, against the real Redis and API. Jobs are
 * submitted through the API (nothing consumes them here); their deadline is moved into the past by
 * rescoring their live-jobs entry, and sweeps are run directly, not waited for.
 */
@QuarkusTest
@QuarkusTestResource(DevStackTestResource.class)
class JobSweeperTest {
    private static final long PRICE = 1_000;
    private static final long DAY_MILLIS = 86_400_000;

    @Inject
    JobSweeper sweeper;
    @Inject
    ApiRedis redis;

    @AfterEach
    void freeTheLock() {
        Kiln.redis().del(RedisKeys.SWEEPER_LOCK);
    }

    @Test
    void admissionIndexesTheJobUnderItsDeadline() {
        Kiln.Account a = Kiln.account("payg", "unlimited", 105_264);
        String job = submit(a, 1);

        JobSpec spec = JobJson.specFromJson(a.job(job).get("spec"));
        assertThat(Kiln.redis().zscore(RedisKeys.liveJobs(a.id()), job)).isEqualTo((double) spec.deadlineMillis());
    }

    @Test
    void expiresAndRefundsOnceAJobWhoseWorkerVanishedAfterMarkRunning() throws Exception {
        Kiln.Account a = Kiln.account("payg", "unlimited", 105_264);
        long balance = a.balanceMicros();
        String job = submit(a, 3);
        redis.completer().markRunning(a.id(), job).toCompletableFuture().get(5, TimeUnit.SECONDS);
        pastDeadline(a, job);

        sweeper.runOnce();
        sweeper.runOnce();

        assertThat(a.job(job)).containsEntry("status", "expired").containsEntry("error_code", "job_expired")
                .containsEntry("charged_micros", "0").containsEntry("refunded_micros", Long.toString(3 * PRICE));
        assertThat(settlements(a, job)).isEqualTo(1);
        assertThat(a.balanceMicros()).isEqualTo(balance);
        assertThat(a.reservedMicros()).isZero();
        assertThat(a.ledgerBalanceMicros()).isEqualTo(balance);
        assertThat(Kiln.redis().zscore(RedisKeys.liveJobs(a.id()), job)).isNull();
    }

    @Test
    void leavesAJobCompletedJustBeforeTheSweepAsItsWorkerSettledIt() throws Exception {
        Kiln.Account a = Kiln.account("payg", "unlimited", 105_264);
        long balance = a.balanceMicros();
        String job = submit(a, 2);
        redis.completer().markRunning(a.id(), job).toCompletableFuture().get(5, TimeUnit.SECONDS);
        redis.completer().complete(JobOutcome.succeeded(a.id(), job, List.of(S3Keys.output(job, 0), S3Keys.output(job, 1))))
                .toCompletableFuture().get(5, TimeUnit.SECONDS);
        // The sweeper read the index just before the settle removed the entry: it still sees the job as overdue.
        Kiln.redis().zadd(RedisKeys.liveJobs(a.id()), 0, job);

        sweeper.runOnce();

        assertThat(a.job(job)).containsEntry("status", "succeeded").containsEntry("charged_micros", Long.toString(2 * PRICE))
                .containsEntry("refunded_micros", "0");
        assertThat(settlements(a, job)).isEqualTo(1);
        assertThat(a.balanceMicros()).isEqualTo(balance - 2 * PRICE);
        assertThat(Kiln.redis().zscore(RedisKeys.liveJobs(a.id()), job)).isNull();
    }

    @Test
    void leavesAJobBeforeItsDeadlinePlusGraceAlone() throws Exception {
        Kiln.Account a = Kiln.account("payg", "unlimited", 105_264);
        String job = submit(a, 1);
        redis.completer().markRunning(a.id(), job).toCompletableFuture().get(5, TimeUnit.SECONDS);

        sweeper.runOnce();

        assertThat(a.job(job)).containsEntry("status", "running").containsEntry("settled", "0");
        assertThat(a.reservedMicros()).isEqualTo(PRICE);
    }

    @Test
    void doesNothingWhileAnotherInstanceHoldsTheLock() throws Exception {
        Kiln.Account a = Kiln.account("payg", "unlimited", 105_264);
        String job = submit(a, 1);
        pastDeadline(a, job);
        Kiln.redis().set(RedisKeys.SWEEPER_LOCK, "another-instance");

        assertThat(sweeper.runOnce()).isZero();
        assertThat(a.job(job)).containsEntry("status", "queued");

        Kiln.redis().del(RedisKeys.SWEEPER_LOCK);
        sweeper.runOnce();
        assertThat(a.job(job)).containsEntry("status", "expired");
    }

    @Test
    void settleRemovesTheJobFromTheIndex() throws Exception {
        Kiln.Account a = Kiln.account("payg", "unlimited", 105_264);
        String job = submit(a, 1);

        redis.completer().cancel(a.id(), job).toCompletableFuture().get(5, TimeUnit.SECONDS);

        assertThat(Kiln.redis().zscore(RedisKeys.liveJobs(a.id()), job)).isNull();
    }

    /** An async submission through the API; no worker consumes it in these tests. */
    private static String submit(Kiln.Account a, int n) {
        return given().header("Authorization", a.bearer()).header("Prefer", "respond-async").contentType(ContentType.JSON)
                .body(Map.of("prompt", "sweep me", "n", n, "model", "sd-1.5-paid")).post("/v1/images/generations")
                .then().statusCode(202).extract().path("id");
    }

    /** Moves the job's deadline a day into the past, far beyond any grace. */
    private static void pastDeadline(Kiln.Account a, String job) {
        String key = RedisKeys.liveJobs(a.id());
        Kiln.redis().zadd(key, Kiln.redis().zscore(key, job) - DAY_MILLIS - 2 * 900_000, job);
    }

    private static long settlements(Kiln.Account a, String job) {
        return Kiln.redis().xrange(RedisKeys.ledger(a.id()), Range.create("-", "+")).stream()
                .filter(m -> "settle".equals(m.getBody().get("type")) && job.equals(m.getBody().get("job"))).count();
    }
}
