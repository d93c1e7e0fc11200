package dev.kiln.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import dev.kiln.api.support.Kiln;
import dev.kiln.api.support.TestWorker;
import dev.kiln.common.jobs.JobHeaders;
import dev.kiln.common.jobs.JobJson;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.common.storage.S3Keys;
import dev.kiln.devstack.quarkus.DevStackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;

@QuarkusTest
@QuarkusTestResource(DevStackTestResource.class)
class SubmitAndPollTest {
    /** Submits an async job of {@code n} images that the test worker completes; returns once it has. */
    private static String completedAsyncJob(Kiln.Account a, int n) throws Exception {
        String id = submitAsync(a, Map.of("prompt", TestWorker.COMPLETE + " poll", "n", n)).then().statusCode(202)
                .extract().path("id");
        // The test worker hands the record back only after the job was completed in Redis.
        TestWorker.get().record(id);
        return id;
    }

    private static Response submitAsync(Kiln.Account a, Map<String, Object> body) {
        return given().header("Authorization", a.bearer()).header("Prefer", "respond-async")
                .contentType(ContentType.JSON).body(body).post("/v1/images/generations");
    }

    @Test
    void asyncSubmissionAnswers202WithLocationAndQueuesTheJob() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        Response r = submitAsync(a, Map.of("prompt", "a red fox", "n", 2));
        r.then().statusCode(202)
                .header("Location", "/v1/images/jobs/" + r.path("id"))
                .header("x-ratelimit-limit-requests", "60")
                .header("x-ratelimit-remaining-requests", "59")
                .header("x-ratelimit-remaining-images", "58")
                // Both windows were just refilled with this request's entries: a full minute to reset.
                .header("x-ratelimit-reset-requests", "1m0s")
                .header("x-ratelimit-reset-images", "1m0s")
                .body("status", equalTo("queued"))
                .body("object", equalTo("image.job"));
        given().header("Authorization", a.bearer()).get((String) r.header("Location"))
                .then().statusCode(200).body("status", equalTo("queued")).body("n", equalTo(2))
                .header("x-ratelimit-remaining-requests", "59");
    }

    @Test
    void kafkaRecordCarriesTheSpecKeyedByJobIdWithHeadersAndNoImageBytes() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        String image = Base64.getEncoder().encodeToString(Kiln.png(64, 48));
        String id = submitAsync(a, Map.of("prompt", "img2img", "image", image, "strength", 0.5, "size", "256x128",
                "seed", 7, "scheduler", "euler_a", "steps", 12)).then().statusCode(202).extract().path("id");
        ConsumerRecord<String, String> record = TestWorker.get().record(id);
        assertThat(record.key()).isEqualTo(id);
        assertThat(new String(record.headers().lastHeader("kiln-job-id").value(), StandardCharsets.UTF_8)).isEqualTo(id);
        assertThat(new String(record.headers().lastHeader("traceparent").value(), StandardCharsets.UTF_8))
                .matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
        assertThat(new String(record.headers().lastHeader(JobHeaders.TIER).value(), StandardCharsets.UTF_8))
                .isEqualTo("free");
        assertThat(record.value()).doesNotContain(image.substring(0, 40)).hasSizeLessThan(2000);
        JobSpec spec = JobJson.specFromJson(record.value());
        assertThat(spec.schemaVersion()).isEqualTo(1);
        assertThat(spec.accountId()).isEqualTo(a.id());
        assertThat(spec.mode()).isEqualTo("img2img");
        assertThat(spec.inputKey()).isEqualTo(S3Keys.input(id));
        assertThat(spec.strength()).isEqualTo(0.5);
        assertThat(spec.width()).isEqualTo(256);
        assertThat(spec.height()).isEqualTo(128);
        assertThat(spec.seed()).isEqualTo(7);
        assertThat(spec.scheduler()).isEqualTo("euler_a");
        assertThat(spec.steps()).isEqualTo(12);
        assertThat(Kiln.getObject(S3Keys.input(id))).isEqualTo(Kiln.png(64, 48));
    }

    @Test
    void jobRecordHoldsStatusSpecAndReservation() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        String id = given().header("Authorization", a.bearer()).header("Prefer", "respond-async")
                .contentType(ContentType.JSON).body(Map.of("prompt", "p", "n", 3, "model", "sd-1.5-paid"))
                .post("/v1/images/generations").then().statusCode(202).extract().path("id");
        Map<String, String> job = a.job(id);
        assertThat(job).containsEntry("status", "queued").containsEntry("n", "3")
                .containsEntry("price_micros", "1000").containsEntry("reserved_micros", "3000")
                .containsEntry("settled", "0").containsEntry("account", a.id());
        assertThat(JobJson.specFromJson(job.get("spec")).jobId()).isEqualTo(id);
        assertThat(a.reservedMicros()).isEqualTo(3000);
    }

    @Test
    void synchronousCallWaitsForTheWorkerAndReturnsPresignedUrlsThatDownload() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        Response r = given().header("Authorization", a.bearer()).contentType(ContentType.JSON)
                .body(Map.of("prompt", TestWorker.COMPLETE + " fox", "n", 2, "size", "128x64"))
                .post("/v1/images/generations");
        TestWorker.get();
        r.then().statusCode(200).body("data.size()", equalTo(2)).body("id", notNullValue()).body("seed", notNullValue())
                .body("created", notNullValue());
        String url = r.path("data[1].url");
        HttpResponse<byte[]> download = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(download.statusCode()).isEqualTo(200);
        assertThat(download.body()).isEqualTo(Kiln.png(16, 8));
    }

    @Test
    void b64JsonResponseCarriesTheImageBytes() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        TestWorker.get();
        String b64 = given().header("Authorization", a.bearer()).contentType(ContentType.JSON)
                .body(Map.of("prompt", TestWorker.COMPLETE + " owl", "response_format", "b64_json", "size", "64x64"))
                .post("/v1/images/generations").then().statusCode(200).extract().path("data[0].b64_json");
        assertThat(Base64.getDecoder().decode(b64)).isEqualTo(Kiln.png(8, 8));
    }

    @Test
    void partialSuccessReturnsAndChargesOnlyTheProducedImages() {
        Kiln.Account a = Kiln.account("payg", "free", 105_264);
        long before = a.balanceMicros();
        TestWorker.get();
        given().header("Authorization", a.bearer()).contentType(ContentType.JSON)
                .body(Map.of("prompt", TestWorker.PARTIAL + " three of four", "n", 4, "model", "sd-1.5-paid"))
                .post("/v1/images/generations").then().statusCode(200).body("data.size()", equalTo(3));
        assertThat(a.balanceMicros()).isEqualTo(before - 3000);
        assertThat(a.reservedMicros()).isZero();
        assertThat(a.ledgerBalanceMicros()).isEqualTo(a.balanceMicros());
    }

    @Test
    void failedJobAnswersTheSynchronousCallerWith500AndRefundsEverything() {
        Kiln.Account a = Kiln.account("payg", "free", 105_264);
        long before = a.balanceMicros();
        TestWorker.get();
        given().header("Authorization", a.bearer()).contentType(ContentType.JSON)
                .body(Map.of("prompt", TestWorker.FAIL + " doomed", "n", 2, "model", "sd-1.5-paid"))
                .post("/v1/images/generations").then().statusCode(500)
                .body("error.type", equalTo("server_error")).body("error.code", equalTo("worker_crashed"))
                .header("x-ratelimit-limit-requests", "60");
        assertThat(a.balanceMicros()).isEqualTo(before);
        assertThat(a.reservedMicros()).isZero();
    }

    @Test
    void waitBoundPassedAnswers202WithTheJob() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        given().header("Authorization", a.bearer()).header("Prefer", "wait=0").contentType(ContentType.JSON)
                .body(Map.of("prompt", "never completed")).post("/v1/images/generations")
                .then().statusCode(202).body("status", equalTo("queued")).header("Location", notNullValue());
    }

    @Test
    void pollingReturnsTheResultOfACompletedJob() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        String id = completedAsyncJob(a, 2);
        given().header("Authorization", a.bearer()).get("/v1/images/jobs/" + id)
                .then().statusCode(200).body("status", equalTo("succeeded"))
                .body("result.data.size()", equalTo(2)).body("result.id", equalTo(id));
        assertThat(a.job(id)).containsEntry("settled", "1").containsEntry("images_produced", "2");
    }

    @Test
    void pollingWithB64JsonReturnsTheImagesInline() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        String id = completedAsyncJob(a, 1);
        String b64 = given().header("Authorization", a.bearer()).queryParam("response_format", "b64_json")
                .get("/v1/images/jobs/" + id)
                .then().statusCode(200).body("status", equalTo("succeeded"))
                .body("result.data[0].url", nullValue()).extract().path("result.data[0].b64_json");
        byte[] png = Base64.getDecoder().decode(b64);
        assertThat(png).startsWith(0x89, 'P', 'N', 'G');
    }

    @Test
    void pollingRejectsAnUnknownResponseFormat() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        String id = submitAsync(a, Map.of("prompt", "p")).then().statusCode(202).extract().path("id");
        given().header("Authorization", a.bearer()).queryParam("response_format", "png").get("/v1/images/jobs/" + id)
                .then().statusCode(400).body("error.param", equalTo("response_format"));
    }

    @Test
    void anotherAccountsJobIsNotFound() {
        Kiln.Account owner = Kiln.account("payg", "free", 100_000);
        Kiln.Account other = Kiln.account("payg", "free", 100_000);
        String id = submitAsync(owner, Map.of("prompt", "mine")).then().statusCode(202).extract().path("id");
        given().header("Authorization", other.bearer()).get("/v1/images/jobs/" + id)
                .then().statusCode(404).body("error.type", equalTo("not_found"));
        given().header("Authorization", other.bearer()).delete("/v1/images/jobs/" + id)
                .then().statusCode(404);
        assertThat(owner.job(id)).containsEntry("status", "queued");
    }

    @Test
    void cancelingAQueuedJobRefundsItAndAnnouncesCanceled() {
        Kiln.Account a = Kiln.account("payg", "free", 105_264);
        long before = a.balanceMicros();
        String id = given().header("Authorization", a.bearer()).header("Prefer", "respond-async")
                .contentType(ContentType.JSON).body(Map.of("prompt", "p", "n", 4, "model", "sd-1.5-paid"))
                .post("/v1/images/generations").then().statusCode(202).extract().path("id");
        assertThat(a.balanceMicros()).isEqualTo(before - 4000);
        given().header("Authorization", a.bearer()).delete("/v1/images/jobs/" + id)
                .then().statusCode(200).body("status", equalTo("canceled")).body("error.code", equalTo("job_canceled"));
        assertThat(a.balanceMicros()).isEqualTo(before);
        assertThat(a.reservedMicros()).isZero();
        assertThat(a.ledgerBalanceMicros()).isEqualTo(a.balanceMicros());
    }

    @Test
    void cancelingARunningJobIsAConflict() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        String id = submitAsync(a, Map.of("prompt", "p")).then().statusCode(202).extract().path("id");
        Kiln.redis().hset("kiln:{a:" + a.id() + "}:job:" + id, "status", "running");
        given().header("Authorization", a.bearer()).delete("/v1/images/jobs/" + id)
                .then().statusCode(409).body("error.code", equalTo("job_not_cancelable"))
                .body("error.type", equalTo("invalid_request_error"));
    }

    @Test
    void sameIdempotencyKeyAndBodyReturnsTheSameJobChargedOnce() {
        Kiln.Account a = Kiln.account("payg", "free", 105_264);
        Map<String, Object> body = Map.of("prompt", "idem", "n", 2, "model", "sd-1.5-paid");
        String first = given().header("Authorization", a.bearer()).header("Prefer", "respond-async")
                .header("Idempotency-Key", "k-1").contentType(ContentType.JSON).body(body)
                .post("/v1/images/generations").then().statusCode(202).extract().path("id");
        long balance = a.balanceMicros();
        long offsets = Kiln.topicEndOffsets();
        String second = given().header("Authorization", a.bearer()).header("Prefer", "respond-async")
                .header("Idempotency-Key", "k-1").contentType(ContentType.JSON).body(body)
                .post("/v1/images/generations").then().statusCode(202).extract().path("id");
        assertThat(second).isEqualTo(first);
        assertThat(a.balanceMicros()).isEqualTo(balance);
        assertThat(Kiln.topicEndOffsets()).isEqualTo(offsets);
        assertThat(a.jobCount()).isEqualTo(1);
    }

    @Test
    void sameIdempotencyKeyWithAnotherBodyIsAConflict() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        given().header("Authorization", a.bearer()).header("Prefer", "respond-async").header("Idempotency-Key", "k-2")
                .contentType(ContentType.JSON).body(Map.of("prompt", "one")).post("/v1/images/generations")
                .then().statusCode(202);
        Kiln.Snapshot before = a.snapshot();
        given().header("Authorization", a.bearer()).header("Prefer", "respond-async").header("Idempotency-Key", "k-2")
                .contentType(ContentType.JSON).body(Map.of("prompt", "two")).post("/v1/images/generations")
                .then().statusCode(409).body("error.type", equalTo("invalid_request_error"))
                .body("error.code", equalTo("idempotency_key_reused"));
        assertThat(a.snapshot()).isEqualTo(before);
    }
}
