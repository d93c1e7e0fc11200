package dev.kiln.api.ledger;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.redis.ApiRedis;
import dev.kiln.api.support.Kiln;
import dev.kiln.common.jobs.JobOutcome;
import dev.kiln.common.ledger.LedgerBalances;
import dev.kiln.common.ledger.LedgerJson;
import dev.kiln.common.ledger.LedgerRecord;
import dev.kiln.common.redis.RedisKeys;
import dev.kiln.common.storage.S3Keys;
import dev.kiln.devstack.quarkus.DevStackTestResource;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/**
 * The ledger mirror against the real Redis, Kafka and API: entries written by the real scripts (top-up
 * through the admin API, reservation through a submission, settlement through the completer) are read
 * back from {@code kiln.ledger.v1} from its beginning. Passes are run directly, not waited for.
 */
@QuarkusTest
@QuarkusTestResource(DevStackTestResource.class)
class LedgerMirrorTest {
    private static final long PRICE = 1_000;
    private static final String TOPIC = "kiln.ledger.v1";

    @Inject
    LedgerMirror mirror;
    @Inject
    ApiRedis redis;
    @Inject
    ApiConfig config;

    @AfterEach
    void freeTheLock() {
        Kiln.redis().del(RedisKeys.LEDGER_MIRROR_LOCK);
    }

    @Test
    void publishesEveryEntryOfATopUpASubmissionAndASettlementOnceAndTheRebuiltBalancesEqualRedis() throws Exception {
        Kiln.Account a = Kiln.account("payg", "unlimited", 105_264);
        String settled = submit(a, 2);
        redis.completer().markRunning(a.id(), settled).toCompletableFuture().get(5, TimeUnit.SECONDS);
        redis.completer().complete(JobOutcome.succeeded(a.id(), settled, List.of(S3Keys.output(settled, 0))))
                .toCompletableFuture().get(5, TimeUnit.SECONDS);
        submit(a, 3);

        mirror.runOnce();

        List<LedgerRecord> records = topicRecords(a.id());
        assertThat(records).extracting(LedgerRecord::streamId).containsExactlyElementsOf(streamIds(a));
        assertThat(records).extracting(LedgerRecord::kind).containsExactly("topup", "reserve", "settle", "reserve");
        LedgerBalances.Balance rebuilt = LedgerBalances.fold(records).get(a.id());
        assertThat(rebuilt.balanceMicros()).isEqualTo(a.balanceMicros());
        assertThat(rebuilt.reservedMicros()).isEqualTo(a.reservedMicros()).isEqualTo(3 * PRICE);
        assertThat(rebuilt.openingBalanceMicros()).isZero();
        assertThat(rebuilt.consistent()).isTrue();
    }

    @Test
    void aSecondPassPublishesNothingNew() throws Exception {
        Kiln.Account a = Kiln.account("payg", "unlimited", 105_264);
        submit(a, 1);
        mirror.runOnce();
        int published = topicRecords(a.id()).size();

        MirrorPass second = mirror.runOnce();

        assertThat(second.published()).isZero();
        assertThat(topicRecords(a.id())).hasSize(published).hasSize(2);
        assertThat(Kiln.redis().get(RedisKeys.ledgerMirrored(a.id()))).isEqualTo(streamIds(a).get(1));
    }

    @Test
    void countsAGapWhenTheStreamWasTrimmedPastTheCursor() throws Exception {
        Kiln.Account a = Kiln.account("payg", "unlimited", 100_000);
        mirror.runOnce();
        topUp(a, 1_000);
        topUp(a, 2_000);
        topUp(a, 3_000);
        Kiln.redis().xtrim(RedisKeys.ledger(a.id()), 1);

        MirrorPass pass = mirror.runOnce();

        assertThat(pass.gaps()).isEqualTo(1);
        assertThat(topicRecords(a.id())).hasSize(2);
        LedgerBalances.Balance rebuilt = LedgerBalances.fold(topicRecords(a.id())).get(a.id());
        assertThat(rebuilt.consistent()).as("the two trimmed top-ups are missing").isFalse();
        assertThat(rebuilt.lastBalanceAfterMicros()).isEqualTo(a.balanceMicros());
    }

    @Test
    void leavesTheCursorOnTheLastAcknowledgedEntryWhileKafkaIsDownAndSkipsNothingOnceItIsBack() throws Exception {
        Kiln.Account a = Kiln.account("payg", "unlimited", 100_000);
        mirror.runOnce();
        String cursor = Kiln.redis().get(RedisKeys.ledgerMirrored(a.id()));
        topUp(a, 1_000);
        topUp(a, 2_000);
        String nobody = "127.0.0.1:" + closedPort();
        LedgerMirror cutOff = new LedgerMirror(redis, config, new SimpleMeterRegistry(),
                () -> new LedgerProducer(nobody, TOPIC, Duration.ofSeconds(3)));

        MirrorPass failed;
        try {
            failed = cutOff.runOnce();
        } finally {
            cutOff.onStop(null);
        }

        assertThat(failed.failed()).isTrue();
        assertThat(failed.published()).isZero();
        assertThat(Kiln.redis().get(RedisKeys.ledgerMirrored(a.id()))).isEqualTo(cursor);
        mirror.runOnce();
        assertThat(topicRecords(a.id())).extracting(LedgerRecord::streamId).containsExactlyElementsOf(streamIds(a));
    }

    /** An async submission through the API; nothing consumes it here, so its reservation stays. */
    private static String submit(Kiln.Account a, int n) {
        return given().header("Authorization", a.bearer()).header("Prefer", "respond-async").contentType(ContentType.JSON)
                .body(Map.of("prompt", "mirror me", "n", n, "model", "sd-1.5-paid")).post("/v1/images/generations")
                .then().statusCode(202).extract().path("id");
    }

    private static void topUp(Kiln.Account a, long grossMicros) {
        Kiln.admin().contentType(ContentType.JSON).body(Map.of("amount_micros", grossMicros))
                .post("/admin/v1/accounts/" + a.id() + "/top-ups").then().statusCode(200);
    }

    private static List<String> streamIds(Kiln.Account a) {
        return Kiln.redis().xrange(RedisKeys.ledger(a.id()), Range.create("-", "+")).stream()
                .map(StreamMessage::getId).toList();
    }

    /** Every record of the account on the topic, from its beginning to its end, in offset order. */
    private static List<LedgerRecord> topicRecords(String account) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, Kiln.config("kafka.bootstrap.servers"));
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo info : consumer.partitionsFor(TOPIC, Duration.ofSeconds(10))) {
                partitions.add(new TopicPartition(TOPIC, info.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(10));
            List<LedgerRecord> out = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                assertThat(System.nanoTime()).as("topic read to its end within 30 s").isLessThan(deadline);
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    if (account.equals(r.key())) {
                        out.add(LedgerJson.fromJson(r.value()));
                    }
                }
            }
            return out;
        }
    }

    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
