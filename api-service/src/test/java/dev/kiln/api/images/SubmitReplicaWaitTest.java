package dev.kiln.api.images;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.kiln.api.support.Kiln;
import dev.kiln.devstack.quarkus.DevStackTestResource;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;

/**
 * An admitted job's reservation is sent to the Redis replica (a bounded WAIT) before the API answers, so a
 * failover cannot lose money the caller was told about. The dev stack's Redis has no replica, so every WAIT
 * falls short: the answer still comes (the write stands on the primary) and the shortfall is counted.
 */
@QuarkusTest
@TestProfile(SubmitReplicaWaitTest.OneReplicaRequired.class)
@QuarkusTestResource(DevStackTestResource.class)
class SubmitReplicaWaitTest {

    /** One replica must acknowledge money writes; a short bound, as the stack has none. */
    public static class OneReplicaRequired implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("kiln.api.redis.wait-replicas", "1", "kiln.api.redis.wait-timeout", "50ms");
        }
    }

    @Inject
    MeterRegistry metrics;

    @Test
    void admittedJobWaitsForTheReplicaBeforeItsAnswer() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        double before = shortfalls();

        given().header("Authorization", a.bearer()).header("Prefer", "respond-async").contentType(ContentType.JSON)
                .body(Map.of("prompt", "replicated")).post("/v1/images/generations").then().statusCode(202);

        assertThat(shortfalls()).isGreaterThan(before);
    }

    private double shortfalls() {
        return metrics.counter("kiln.api.redis.wait.shortfalls").count();
    }
}
