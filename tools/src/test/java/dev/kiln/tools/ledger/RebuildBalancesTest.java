package dev.kiln.tools.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.kiln.common.ledger.LedgerJson;
import dev.kiln.common.ledger.LedgerRecord;
import dev.kiln.common.redis.RedisConnections;
import dev.kiln.common.redis.RedisKeys;
import dev.kiln.devstack.DevStack;
import dev.kiln.devstack.DevStackConfig;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;

/**
 * The rebuild command against a real broker and Redis (the dev stack): records are produced to
 * {@code kiln.ledger.v1} as the API's mirror writes them, one of them twice.
 */
class RebuildBalancesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static DevStack stack;
    private static String exact;
    private static String drifted;

    @BeforeAll
    static void mirrorTwoAccounts() throws Exception {
        stack = DevStack.start(DevStackConfig.defaults());
        exact = "rb-" + UUID.randomUUID().toString().substring(0, 8);
        drifted = "rb-" + UUID.randomUUID().toString().substring(0, 8);
        LedgerRecord reserve = entry(exact, "2-0", "reserve", -2_000, 2_000, 948_000);
        List<LedgerRecord> records = List.of(entry(exact, "1-0", "topup", 950_000, 0, 950_000), reserve,
                entry(exact, "3-0", "settle", 1_000, -2_000, 949_000), reserve,
                entry(drifted, "1-0", "topup", 500, 0, 500));
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            for (LedgerRecord r : records) {
                producer.send(new ProducerRecord<>("kiln.ledger.v1", r.account(), LedgerJson.toJson(r)))
                        .get(30, TimeUnit.SECONDS);
            }
        }
        RedisClient client = RedisConnections.client(stack.redisUri(), 5000);
        try (StatefulRedisConnection<String, String> redis = client.connect()) {
            redis.sync().hset(RedisKeys.account(exact), Map.of("balance_micros", "949000", "reserved_micros", "0"));
            redis.sync().hset(RedisKeys.account(drifted), Map.of("balance_micros", "400", "reserved_micros", "0"));
        } finally {
            client.shutdown();
        }
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void printsOneLinePerAccountCountingARecordSentTwiceOnce() throws Exception {
        Run run = run(null);

        assertThat(run.exitCode).isZero();
        JsonNode a = run.lines.stream().filter(l -> exact.equals(l.path("account").asText())).findFirst().orElseThrow();
        assertThat(a.path("balance_micros").asLong()).isEqualTo(949_000);
        assertThat(a.path("reserved_micros").asLong()).isZero();
        assertThat(a.path("entries").asLong()).isEqualTo(3);
        assertThat(a.path("duplicates").asLong()).isEqualTo(1);
        assertThat(a.path("consistent").asBoolean()).isTrue();
    }

    @Test
    void comparedWithRedisMarksEachAccountAndExitsWithOneWhenOneDiffers() throws Exception {
        Run run = run(stack.redisUri());

        assertThat(run.exitCode).isEqualTo(1);
        assertThat(run.lines).filteredOn(l -> exact.equals(l.path("account").asText()))
                .singleElement().satisfies(l -> assertThat(l.path("matches").asBoolean()).isTrue());
        assertThat(run.lines).filteredOn(l -> drifted.equals(l.path("account").asText()))
                .singleElement().satisfies(l -> {
                    assertThat(l.path("matches").asBoolean()).isFalse();
                    assertThat(l.path("redis_balance_micros").asLong()).isEqualTo(400);
                    assertThat(l.path("balance_micros").asLong()).isEqualTo(500);
                });
    }

    private record Run(int exitCode, List<JsonNode> lines) {
    }

    private static Run run(String redisUri) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RebuildOptions options = new RebuildOptions(stack.kafkaBootstrapServers(), "kiln.ledger.v1",
                Duration.ofSeconds(60), redisUri, Duration.ofSeconds(5));
        int code = RebuildBalances.run(options, new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
        List<JsonNode> lines = new ArrayList<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                lines.add(JSON.readTree(line));
            }
        }
        return new Run(code, lines);
    }

    private static LedgerRecord entry(String account, String id, String kind, long balanceDelta, long reservedDelta,
            long balanceAfter) {
        return LedgerRecord.fromStreamEntry(account, id, Map.of("type", kind,
                "balance_delta_micros", Long.toString(balanceDelta), "reserved_delta_micros", Long.toString(reservedDelta),
                "balance_after_micros", Long.toString(balanceAfter)));
    }
}
