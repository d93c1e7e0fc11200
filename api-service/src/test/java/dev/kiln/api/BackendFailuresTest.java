package dev.kiln.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.util.Base64;
import java.util.Map;
import java.util.Properties;

import jakarta.inject.Inject;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import dev.kiln.api.jobs.QueueLagMonitor;
import dev.kiln.api.support.Kiln;
import dev.kiln.devstack.quarkus.DevStackTestResource;
import io.minio.MakeBucketArgs;
import io.minio.RemoveBucketArgs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;

/**
 * Failures of the services behind the API, on a stack of its own (a separate profile, so breaking
 * S3 or filling the queue cannot disturb other tests): no money or job is lost or left dangling.
 */
@QuarkusTest
@TestProfile(BackendFailuresTest.SmallQueue.class)
@QuarkusTestResource(value = DevStackTestResource.class, restrictToAnnotatedClass = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BackendFailuresTest {
    /** A queue that counts as saturated beyond three records waiting. */
    public static class SmallQueue implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("kiln.api.queue.max-lag", "3");
        }
    }

    @Inject
    QueueLagMonitor lag;

    @Test
    @Order(1)
    void failedInputUploadRefundsTheReservationFailsTheJobAndAnswers503() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 105_264);
        long balance = a.balanceMicros();
        long offsets = Kiln.topicEndOffsets();
        Kiln.s3().removeBucket(RemoveBucketArgs.builder().bucket(Kiln.bucket()).build());
        try {
            String image = Base64.getEncoder().encodeToString(Kiln.png(64, 64));
            given().header("Authorization", a.bearer()).header("Idempotency-Key", "retry-me").contentType(ContentType.JSON)
                    .body(Map.of("prompt", "p", "image", image, "n", 2, "model", "sd-1.5-paid"))
                    .post("/v1/images/generations").then().statusCode(503)
                    .body("error.type", equalTo("service_unavailable")).header("Retry-After", "1");
        } finally {
            Kiln.s3().makeBucket(MakeBucketArgs.builder().bucket(Kiln.bucket()).build());
        }
        assertThat(Kiln.redis().keys("kiln:{a:" + a.id() + "}:idem:*")).as("a retry gets a fresh attempt").isEmpty();
        assertThat(a.balanceMicros()).isEqualTo(balance);
        assertThat(a.reservedMicros()).isZero();
        assertThat(a.ledgerBalanceMicros()).isEqualTo(balance);
        assertThat(Kiln.topicEndOffsets()).isEqualTo(offsets);
        String jobKey = Kiln.redis().keys("kiln:{a:" + a.id() + "}:job:*").get(0);
        assertThat(Kiln.redis().hgetall(jobKey)).containsEntry("status", "failed")
                .containsEntry("error_code", "enqueue_failed").containsEntry("settled", "1");
    }

    @Test
    @Order(2)
    void saturatedQueueAnswers503BeforeReservingAnything() throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, Kiln.config("kafka.bootstrap.servers"));
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            for (int i = 0; i < 4; i++) {
                producer.send(new ProducerRecord<>("kiln.jobs.v1", "backlog-" + i, "{}")).get();
            }
        }
        assertThat(lag.refresh()).isGreaterThan(3);
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        Kiln.Snapshot before = a.snapshot();
        given().header("Authorization", a.bearer()).contentType(ContentType.JSON).body(Map.of("prompt", "p"))
                .post("/v1/images/generations").then().statusCode(503)
                .body("error.type", equalTo("service_unavailable")).body("error.code", equalTo("queue_saturated"))
                .header("Retry-After", "5");
        assertThat(a.snapshot()).isEqualTo(before);
    }
}
