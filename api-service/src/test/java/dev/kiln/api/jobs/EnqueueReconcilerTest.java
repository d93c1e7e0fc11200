package dev.kiln.api.jobs;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import dev.kiln.api.auth.PresentedKey;
import dev.kiln.api.redis.ApiRedis;
import dev.kiln.api.support.Kiln;
import dev.kiln.common.jobs.JobJson;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.common.redis.KilnScripts;
import dev.kiln.common.redis.RedisKeys;
import dev.kiln.common.redis.ScriptRunner;
import dev.kiln.devstack.quarkus.DevStackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;

/**
 * The reconciler for jobs whose Kafka send is unconfirmed, against the real Redis and Kafka. The
 * stranded state (the enqueue failed and so did the refund) is produced with the real submit script;
 * a lost removal by re-adding the entry of a job that is in Kafka. Entries are aged by rescoring.
 * The lag monitor watches a consumer group of its own, which no test process consumes: the tests
 * move its committed offsets with the Kafka admin client to stand for workers that caught up, or
 * leave them behind to stand for a backlog. Sweeps and lag refreshes are run directly, not waited for.
 */
@QuarkusTest
@TestProfile(EnqueueReconcilerTest.OwnWorkerGroup.class)
@QuarkusTestResource(DevStackTestResource.class)
class EnqueueReconcilerTest {
    private static final long PRICE = 1_000;
    private static final long HOUR_MILLIS = 3_600_000;
    private static final String GROUP = "reconciler-test-workers";
    private static final long ENQUEUE_TIMEOUT_MILLIS = 2_000;

    /** A consumer group nobody joins, a short enqueue bound and no clock skew between API and Redis (one host). */
    public static class OwnWorkerGroup implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("kiln.api.queue.consumer-group", GROUP,
                    "kiln.api.queue.enqueue-timeout", ENQUEUE_TIMEOUT_MILLIS + "ms",
                    "kiln.api.reconcile.max-clock-skew", "0s");
        }
    }

    @Inject
    EnqueueReconciler reconciler;
    @Inject
    ApiRedis redis;
    @Inject
    QueueLagMonitor queue;

    @Test
    void failsAndRefundsAJobThatNeverReachedKafkaOnceTheWorkersProcessedPastIt() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 105_264);
        long balance = a.balanceMicros();
        String job = strand(a, 3);
        age(a, job, HOUR_MILLIS);
        workersCatchUpPast(a, job);

        assertThat(sweeps()).isGreaterThanOrEqualTo(1);

        assertThat(a.job(job)).containsEntry("status", "failed").containsEntry("error_code", "enqueue_failed")
                .containsEntry("settled", "1").containsEntry("refunded_micros", Long.toString(3 * PRICE));
        assertThat(a.balanceMicros()).isEqualTo(balance);
        assertThat(a.reservedMicros()).isZero();
        assertThat(a.ledgerBalanceMicros()).isEqualTo(balance);
        assertThat(Kiln.redis().zscore(RedisKeys.enqueuePending(a.id()), job)).isNull();
    }

    @Test
    void leavesAnOldEntryAloneWhileItsJobMayStillWaitInTheBacklog() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 105_264);
        String job = given().header("Authorization", a.bearer()).header("Prefer", "respond-async")
                .contentType(ContentType.JSON).body(Map.of("prompt", "waiting", "model", "sd-1.5-paid"))
                .post("/v1/images/generations").then().statusCode(202).extract().path("id");
        // The removal after the Kafka ack was lost: the job is in Kafka, its entry says otherwise.
        await().atMost(Duration.ofSeconds(10)).until(() -> Kiln.redis().zcard(RedisKeys.enqueuePending(a.id())) == 0);
        Kiln.redis().zadd(RedisKeys.enqueuePending(a.id()), 0, job);
        // The group has not consumed it (a backlog): nothing proves the send failed, however old the entry.
        queue.refresh();
        queue.refresh();

        sweeps();

        assertThat(a.job(job)).containsEntry("status", "queued").containsEntry("settled", "0");
        assertThat(a.reservedMicros()).isEqualTo(PRICE);
        assertThat(Kiln.redis().zscore(RedisKeys.enqueuePending(a.id()), job)).isNotNull();
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
     * Two sweeps: each visits every registered account of the tests from where the last one stopped, so
     * two cover all of them; returns how many jobs they failed.
     */
    private int sweeps() throws Exception {
        return reconciler.runOnce() + reconciler.runOnce();
    }

    /**
     * Stands for workers that processed the topic past the job's send: once Redis's clock is past the
     * job's admission + enqueue bound, the lag monitor takes a snapshot, the group's offsets move to the
     * end of every partition, and the monitor sees them there.
     */
    private void workersCatchUpPast(Kiln.Account a, String job) throws Exception {
        long sendBound = Long.parseLong(a.job(job).get("created_ms")) + ENQUEUE_TIMEOUT_MILLIS;
        await().atMost(Duration.ofSeconds(30)).until(() -> redisMillis() > sendBound
                && System.currentTimeMillis() > sendBound);
        queue.refresh();
        Admin kafka = Kiln.kafka();
        String topic = "kiln.jobs.v1";
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        kafka.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic).partitions()
                .forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
        Map<TopicPartition, OffsetAndMetadata> ends = new HashMap<>();
        kafka.listOffsets(latest).all().get(10, TimeUnit.SECONDS)
                .forEach((tp, info) -> ends.put(tp, new OffsetAndMetadata(info.offset())));
        kafka.alterConsumerGroupOffsets(GROUP, ends).all().get(10, TimeUnit.SECONDS);
        queue.refresh();
        assertThat(queue.consumedBeforeMillis()).isGreaterThan(sendBound);
    }

    private static long redisMillis() {
        List<String> time = Kiln.redis().time();
        return Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
    }

    /** A job admitted by the real submit script and never handed to Kafka (nor refunded). */
    private String strand(Kiln.Account a, int n) throws Exception {
        PresentedKey key = PresentedKey.from(a.bearer(), Kiln.config("kiln.api.key-pepper"));
        String jobId = "img_" + UUID.randomUUID().toString().replace("-", "");
        JobSpec spec = new JobSpec(JobSpec.SCHEMA_VERSION, jobId, a.id(), JobSpec.MODE_TXT2IMG, "sd-1.5-paid", "p", null,
                n, 512, 512, 30, 7.5, null, 1L, "pndm", null, System.currentTimeMillis(), Long.MAX_VALUE);
        String[] keys = { RedisKeys.account(a.id()), RedisKeys.apiKey(a.id(), key.keyHash()),
                RedisKeys.rateLimit(a.id(), RedisKeys.RL_REQUESTS, key.keyHash()),
                RedisKeys.rateLimit(a.id(), RedisKeys.RL_IMAGES, key.keyHash()),
                RedisKeys.job(a.id(), jobId), RedisKeys.ledger(a.id()), RedisKeys.idempotency(a.id(), "none"),
                RedisKeys.enqueuePending(a.id()) };
        List<Object> reply = redis.scripts().run(KilnScripts.SUBMIT, keys, jobId, Integer.toString(n),
                Long.toString(PRICE), JobJson.toJson(spec), "sd-1.5-paid", "", "86400", "86400", "60000", "0", "free",
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
