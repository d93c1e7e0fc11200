package dev.kiln.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import dev.kiln.api.jobs.JobWaiter;
import dev.kiln.api.support.Kiln;
import dev.kiln.common.redis.RedisKeys;
import dev.kiln.devstack.DevStack;
import dev.kiln.devstack.quarkus.DevStackTestResource;
import dev.kiln.devstack.quarkus.InjectDevStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;

/**
 * Redis and Kafka going away under a running API, on a stack of its own (its services are killed
 * for real, so no other test may share it). Ordered: the waiter cap first, then Redis down and back,
 * then Kafka down for good (the stack is discarded after this class).
 */
@QuarkusTest
@TestProfile(OutagesTest.ShortTimeouts.class)
@QuarkusTestResource(value = DevStackTestResource.class, restrictToAnnotatedClass = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OutagesTest {
    /** One synchronous waiter at most; short Redis and Kafka timeouts so failures surface quickly. */
    public static class ShortTimeouts implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "kiln.api.wait.max-waiters", "1",
                    "kiln.api.redis.timeout", "1s",
                    "kiln.api.queue.admin-timeout", "1s",
                    "kiln.api.queue.enqueue-timeout", "4s",
                    "mp.messaging.outgoing.jobs-out.max.block.ms", "2000",
                    "mp.messaging.outgoing.jobs-out.request.timeout.ms", "1500",
                    "mp.messaging.outgoing.jobs-out.delivery.timeout.ms", "3000");
        }
    }

    @InjectDevStack
    DevStack stack;

    @Inject
    JobWaiter waiter;

    @Test
    @Order(1)
    void synchronousCallBeyondTheWaiterCapAnswers503BeforeChargingAnything() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        CompletableFuture<Response> first = CompletableFuture.supplyAsync(() -> given()
                .header("Authorization", a.bearer()).header("Prefer", "wait=60").contentType(ContentType.JSON)
                .body(Map.of("prompt", "first")).post("/v1/images/generations"));
        await().atMost(Duration.ofSeconds(20)).until(() -> waiter.waiting() == 1);
        await().atMost(Duration.ofSeconds(20)).until(() -> a.jobCount() == 1);
        Kiln.Snapshot before = a.snapshot();

        given().header("Authorization", a.bearer())
                .contentType(ContentType.JSON).body(Map.of("prompt", "second"))
                .post("/v1/images/generations").then().statusCode(503)
                .body("error.code", equalTo("server_busy")).header("x-should-retry", "true");
        assertThat(a.snapshot()).as("nothing charged, no job").isEqualTo(before);

        String firstJob = Kiln.redis().keys("kiln:{a:" + a.id() + "}:job:*").stream()
                .map(k -> k.substring(k.lastIndexOf(':') + 1)).findFirst().orElseThrow();
        given().header("Authorization", a.bearer()).delete("/v1/images/jobs/" + firstJob).then().statusCode(200);
        Response answer = first.get(30, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).as("the waiting caller learns its job was canceled").isEqualTo(409);
        assertThat(waiter.waiting()).isZero();
    }

    @Test
    @Order(2)
    void redisDownAnswers503WithoutAStackTraceWhileThePodStaysReady() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        kill("redis-server", "");

        String body = given().header("Authorization", a.bearer()).header("Prefer", "respond-async")
                .contentType(ContentType.JSON).body(Map.of("prompt", "p"))
                .post("/v1/images/generations").then().statusCode(503)
                .body("error.type", equalTo("service_unavailable")).body("error.code", equalTo("backend_unavailable"))
                .header("Retry-After", "1").extract().asString();
        assertThat(body).doesNotContain("Exception").doesNotContain("\tat ");
        // Readiness stays UP so the pod keeps answering JSON 503s; the outage shows in the dependencies group.
        given().get("/q/health/ready").then().statusCode(200);
        given().get("/q/health/group/dependencies").then().statusCode(503)
                .body("checks.find { it.name == 'redis' }.status", equalTo("DOWN"));
    }

    @Test
    @Order(3)
    void submissionsWorkAgainOnceRedisIsBack() {
        stack.restartRedis();
        // Redis came back from its AOF; Lettuce reconnects on its own backoff schedule.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> given().get("/q/health/group/dependencies").then().statusCode(200));
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        given().header("Authorization", a.bearer()).header("Prefer", "respond-async").contentType(ContentType.JSON)
                .body(Map.of("prompt", "p")).post("/v1/images/generations").then().statusCode(202)
                .body("status", equalTo("queued"));
    }

    @Test
    @Order(4)
    void kafkaDownAnswers503RefundsTheReservationAndFailsTheJob() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 105_264);
        long balance = a.balanceMicros();
        long ledgerEntries = a.ledgerLength();
        // The broker's command line is truncated (long classpath); its log4j file, early in it, is in its work dir.
        kill("java", "/kafka/log4j2.properties");

        given().header("Authorization", a.bearer()).header("Prefer", "respond-async").header("Idempotency-Key", "k1")
                .contentType(ContentType.JSON).body(Map.of("prompt", "p", "n", 2, "model", "sd-1.5-paid"))
                .post("/v1/images/generations").then().statusCode(503)
                .body("error.type", equalTo("service_unavailable")).body("error.code", equalTo("backend_unavailable"))
                .body(not(containsString("Exception")));

        assertThat(a.balanceMicros()).as("balance").isEqualTo(balance);
        assertThat(a.reservedMicros()).as("reserved").isZero();
        assertThat(a.ledgerBalanceMicros()).as("balance recomputed from the ledger").isEqualTo(balance);
        assertThat(a.ledgerLength()).as("one reserve and one refund").isEqualTo(ledgerEntries + 2);
        String jobKey = Kiln.redis().keys("kiln:{a:" + a.id() + "}:job:*").get(0);
        assertThat(Kiln.redis().hgetall(jobKey)).containsEntry("status", "failed")
                .containsEntry("error_code", "enqueue_failed").containsEntry("settled", "1")
                .containsEntry("charged_micros", "0");
        assertThat(Kiln.redis().zcard(RedisKeys.enqueuePending(a.id()))).as("nothing left for the reconciler").isZero();
        assertThat(Kiln.redis().keys("kiln:{a:" + a.id() + "}:idem:*")).as("a retry gets a fresh attempt").isEmpty();
    }

    @Test
    @Order(5)
    void failedKafkaSendsLeaveTheApiLive() {
        // After order 4 the broker is gone and a send has failed: a dependency's outage, not a dead process,
        // so liveness must not have every API pod restarted (and its waiting clients cut off).
        given().get("/q/health/live").then().statusCode(200);
        given().get("/q/health/group/dependencies").then().statusCode(503);
    }

    /**
     * Kills (SIGKILL) the stack's service process whose executable is named {@code executable} and whose
     * command line contains {@code argument}, and waits for its exit.
     */
    private void kill(String executable, String argument) throws Exception {
        ProcessHandle victim = stack.processes().stream()
                .filter(p -> p.info().command().orElse("").endsWith("/" + executable))
                .filter(p -> p.info().commandLine().orElse("").contains(argument))
                .findFirst().orElseThrow(() -> new IllegalStateException("no stack process " + executable + " " + argument
                        + " among " + stack.processes().stream().map(p -> p.pid() + "=" + p.info().command().orElse("?")
                                + " " + p.info().commandLine().orElse("?").length()).toList()));
        victim.destroyForcibly();
        victim.onExit().get(30, TimeUnit.SECONDS);
    }
}
