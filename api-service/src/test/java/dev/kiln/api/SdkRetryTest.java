package dev.kiln.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.InternalServerException;
import com.openai.errors.OpenAIServiceException;
import com.openai.models.images.ImageGenerateParams;
import com.openai.models.images.ImagesResponse;

import dev.kiln.api.redis.ApiRedis;
import dev.kiln.api.support.DroppingProxy;
import dev.kiln.api.support.FaultyPublisher;
import dev.kiln.api.support.Kiln;
import dev.kiln.api.support.TestWorker;
import dev.kiln.devstack.quarkus.DevStackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;

/**
 * The official OpenAI Java SDK with its automatic retries on, against faults at each point of a call:
 * whatever happens, one SDK call admits at most one job that is charged.
 */
@QuarkusTest
@TestProfile(SdkRetryTest.ShortWait.class)
@QuarkusTestResource(value = DevStackTestResource.class, restrictToAnnotatedClass = true)
class SdkRetryTest {
    private static final long PRICE = 1000;

    /** Synchronous calls wait 3 s, so that a wait that runs out is quick to provoke. */
    public static class ShortWait implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("kiln.api.wait.default-seconds", "3");
        }
    }

    @TestHTTPResource("/v1")
    URI base;

    @Inject
    ApiRedis redis;

    @BeforeAll
    static void startWorker() {
        TestWorker.get();
    }

    @AfterEach
    void noFaultsLeft() {
        FaultyPublisher.reset();
    }

    private static OpenAIClient sdk(String baseUrl, Kiln.Account a) {
        return OpenAIOkHttpClient.builder().apiKey(a.key()).baseUrl(baseUrl)
                .timeout(Duration.ofSeconds(30)).maxRetries(2).build();
    }

    private static ImageGenerateParams generate(String prompt) {
        return ImageGenerateParams.builder().prompt(prompt).model("sd-1.5-paid").n(1)
                .size(ImageGenerateParams.Size.of("64x64")).build();
    }

    private static long charged(Kiln.Account a, long balanceBefore) {
        return balanceBefore - a.balanceMicros();
    }

    private static long jobsWithStatus(Kiln.Account a, String status) {
        return Kiln.redis().keys("kiln:{a:" + a.id() + "}:job:*").stream()
                .filter(k -> status.equals(Kiln.redis().hget(k, "status"))).count();
    }

    @Test
    void jobThatFailsInTheWorkerIsRetriedAsAFreshAttemptAndChargedOnce() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        long before = a.balanceMicros();

        ImagesResponse response = sdk(base.toString(), a).images().generate(generate(TestWorker.FAIL_ONCE + " retry me"));

        assertThat(response.data().orElseThrow()).hasSize(1);
        assertThat(jobsWithStatus(a, "succeeded")).isEqualTo(1);
        assertThat(jobsWithStatus(a, "failed")).as("the refunded first attempt").isEqualTo(1);
        assertThat(charged(a, before)).isEqualTo(PRICE);
        assertThat(a.reservedMicros()).isZero();
    }

    @Test
    void expiredSynchronousWaitIsA504TheSdkDoesNotRetry() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        long before = a.balanceMicros();

        assertThatThrownBy(() -> sdk(base.toString(), a).images().generate(generate("never finishes")))
                .isInstanceOfSatisfying(OpenAIServiceException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(504);
                    assertThat(e.getMessage()).contains("/v1/images/jobs/img_");
                });

        assertThat(a.jobCount()).as("no retry, so one job").isEqualTo(1);
        assertThat(charged(a, before)).as("reserved once").isEqualTo(PRICE);
    }

    @Test
    void brokerDownAtHandOffIsRefundedAndTheRetrySucceedsChargedOnce() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        long before = a.balanceMicros();
        FaultyPublisher.inject(FaultyPublisher.Fault.FAIL);

        ImagesResponse response = sdk(base.toString(), a).images().generate(generate(TestWorker.COMPLETE + " broker"));

        assertThat(response.data().orElseThrow()).hasSize(1);
        assertThat(jobsWithStatus(a, "succeeded")).isEqualTo(1);
        assertThat(Kiln.redis().keys("kiln:{a:" + a.id() + "}:job:*").stream()
                .filter(k -> "enqueue_failed".equals(Kiln.redis().hget(k, "error_code"))).count()).isEqualTo(1);
        assertThat(charged(a, before)).isEqualTo(PRICE);
    }

    @Test
    void answerLostAfterAdmissionIsReplayedToTheRetryNotRunTwice() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        long before = a.balanceMicros();
        try (DroppingProxy proxy = new DroppingProxy(base)) {
            proxy.dropResponses(1);

            ImagesResponse response = sdk(proxy.url(), a).images().generate(generate(TestWorker.COMPLETE + " lost"));

            assertThat(proxy.dropped()).isEqualTo(1);
            assertThat(response.data().orElseThrow()).hasSize(1);
        }
        assertThat(a.jobCount()).isEqualTo(1);
        assertThat(charged(a, before)).isEqualTo(PRICE);
    }

    @Test
    void sdkRetryOfTheSameBodyGetsTheEarlierJob() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        Map<String, Object> body = Map.of("prompt", "same", "model", "sd-1.5-paid");
        String first = given().header("Authorization", a.bearer()).header("Prefer", "respond-async")
                .header("x-stainless-retry-count", "0").contentType(ContentType.JSON).body(body)
                .post("/v1/images/generations").then().statusCode(202).extract().path("id");
        String retry = given().header("Authorization", a.bearer()).header("Prefer", "respond-async")
                .header("x-stainless-retry-count", "1").contentType(ContentType.JSON).body(body)
                .post("/v1/images/generations").then().statusCode(202).extract().path("id");

        assertThat(retry).isEqualTo(first);
        assertThat(a.jobCount()).isEqualTo(1);
    }

    @Test
    void sdkFirstAttemptsOfTheSameBodyAreSeparateJobs() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        Map<String, Object> body = Map.of("prompt", "twice on purpose", "model", "sd-1.5-paid");
        for (int i = 0; i < 2; i++) {
            given().header("Authorization", a.bearer()).header("Prefer", "respond-async")
                    .header("x-stainless-retry-count", "0").contentType(ContentType.JSON).body(body)
                    .post("/v1/images/generations").then().statusCode(202);
        }
        assertThat(a.jobCount()).isEqualTo(2);
    }

    @Test
    void sdkRetryWithAnotherBodyIsANewJob() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        given().header("Authorization", a.bearer()).header("Prefer", "respond-async")
                .header("x-stainless-retry-count", "0").contentType(ContentType.JSON)
                .body(Map.of("prompt", "one", "model", "sd-1.5-paid")).post("/v1/images/generations").then().statusCode(202);
        given().header("Authorization", a.bearer()).header("Prefer", "respond-async")
                .header("x-stainless-retry-count", "1").contentType(ContentType.JSON)
                .body(Map.of("prompt", "two", "model", "sd-1.5-paid")).post("/v1/images/generations").then().statusCode(202);
        assertThat(a.jobCount()).isEqualTo(2);
    }

    @Test
    void waitPastItsBoundWithoutPreferIs504WithTheJobToPoll() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        String location = given().header("Authorization", a.bearer()).contentType(ContentType.JSON)
                .body(Map.of("prompt", "slow")).post("/v1/images/generations").then().statusCode(504)
                .body("error.type", equalTo("server_error")).body("error.code", equalTo("job_timeout"))
                .body("error.message", containsString("img_")).header("x-should-retry", "false")
                .extract().header("Location");
        assertThat(location).startsWith("/v1/images/jobs/img_");
        given().header("Authorization", a.bearer()).get(location).then().statusCode(200)
                .body("status", equalTo("queued"));
    }

    @Test
    void aWorkerThatTookTheJobWhoseSendReportedAFailureMeansTheJobIsAnsweredNotRefunded() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        long before = a.balanceMicros();
        FaultyPublisher.inject(FaultyPublisher.Fault.SEND_THEN_FAIL);
        // The send's record is in Kafka: wait until the test worker has taken (and finished) the job.
        FaultyPublisher.beforeReportingFailure(jobId -> await().atMost(Duration.ofSeconds(30))
                .until(() -> "succeeded".equals(Kiln.redis().hget("kiln:{a:" + a.id() + "}:job:" + jobId, "status"))));

        String id = given().header("Authorization", a.bearer()).header("Idempotency-Key", "race")
                .contentType(ContentType.JSON).body(Map.of("prompt", TestWorker.COMPLETE + " race", "model", "sd-1.5-paid"))
                .post("/v1/images/generations").then().statusCode(200).extract().path("id");

        assertThat(Kiln.redis().keys("kiln:{a:" + a.id() + "}:idem:*")).as("the key still names the job").hasSize(1);
        String replay = given().header("Authorization", a.bearer()).header("Idempotency-Key", "race")
                .contentType(ContentType.JSON).body(Map.of("prompt", TestWorker.COMPLETE + " race", "model", "sd-1.5-paid"))
                .post("/v1/images/generations").then().statusCode(200).extract().path("id");
        assertThat(replay).isEqualTo(id);
        assertThat(a.jobCount()).isEqualTo(1);
        assertThat(charged(a, before)).isEqualTo(PRICE);
    }

    @Test
    void aSendReportedFailedAfterAWorkerMarkedTheJobRunningIsAnswered202NotNothingCharged() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        FaultyPublisher.inject(FaultyPublisher.Fault.SEND_THEN_FAIL);
        FaultyPublisher.beforeReportingFailure(jobId -> redis.completer().markRunning(a.id(), jobId)
                .toCompletableFuture().join());

        String id = given().header("Authorization", a.bearer()).header("Prefer", "respond-async")
                .header("Idempotency-Key", "running").contentType(ContentType.JSON)
                .body(Map.of("prompt", "taken", "model", "sd-1.5-paid"))
                .post("/v1/images/generations").then().statusCode(202)
                .extract().path("id");

        assertThat(a.job(id)).containsEntry("status", "running").containsEntry("reserved_micros", Long.toString(PRICE));
        assertThat(Kiln.redis().keys("kiln:{a:" + a.id() + "}:idem:*")).as("the key still names the job").hasSize(1);
    }

    @Test
    void sdkSeesAnInternalServerErrorWhenEveryAttemptFails() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        long before = a.balanceMicros();
        assertThatThrownBy(() -> sdk(base.toString(), a).images().generate(generate(TestWorker.FAIL + " always")))
                .isInstanceOf(InternalServerException.class);
        assertThat(jobsWithStatus(a, "failed")).as("first attempt and two retries").isEqualTo(3);
        assertThat(charged(a, before)).isZero();
    }
}
