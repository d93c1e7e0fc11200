package dev.kiln.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.kiln.api.support.EventStream;
import dev.kiln.api.support.Kiln;
import dev.kiln.api.support.TestWorker;
import dev.kiln.common.jobs.JobJson;
import dev.kiln.devstack.quarkus.DevStackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/** {@code stream: true} read as raw server-sent events: OpenAI's image streaming events, heartbeats and errors. */
@QuarkusTest
@QuarkusTestResource(DevStackTestResource.class)
class StreamingHttpTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @TestHTTPResource("/v1/images/generations")
    URI generations;

    @TestHTTPResource("/v1/images/edits")
    URI edits;

    @BeforeAll
    static void startWorker() {
        TestWorker.get();
    }

    private HttpResponse<InputStream> post(URI uri, Kiln.Account a, String contentType, byte[] body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri).header("Authorization", a.bearer())
                .header("Content-Type", contentType).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    private HttpResponse<InputStream> generateAccepting(Kiln.Account a, String accept, String json) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(generations).header("Authorization", a.bearer())
                .header("Content-Type", "application/json").header("Accept", accept).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    @Test
    void aClientAskingForAnEventStreamGetsOne() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        HttpResponse<InputStream> response = generateAccepting(a, "text/event-stream",
                "{\"prompt\":\"" + TestWorker.COMPLETE + " asked for events\",\"size\":\"256x256\",\"stream\":true}");
        assertThat(response.statusCode()).isEqualTo(200);
        try (EventStream stream = new EventStream(response.body())) {
            assertThat(names(stream.rest())).containsExactly("image_generation.completed");
        }
    }

    @Test
    void aNonStreamingAnswerStaysJsonWhateverTheClientAccepts() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        HttpResponse<InputStream> response = generateAccepting(a, "text/event-stream",
                "{\"prompt\":\"" + TestWorker.COMPLETE + " plain\",\"size\":\"256x256\"}");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).get().asString().startsWith("application/json");
        response.body().close();
    }

    private HttpResponse<InputStream> generate(Kiln.Account a, String json) throws Exception {
        return post(generations, a, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> names(List<EventStream.Event> events) {
        return events.stream().map(EventStream.Event::name).toList();
    }

    @Test
    void streamsOnePartialImagePerRequestedPreviewThenOneCompletedEventPerImage() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        HttpResponse<InputStream> response = generate(a, "{\"prompt\":\"" + TestWorker.COMPLETE + " a kiln\",\"n\":2,"
                + "\"size\":\"256x256\",\"stream\":true,\"partial_images\":2}");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).get().asString().startsWith("text/event-stream");
        List<EventStream.Event> events;
        try (EventStream stream = new EventStream(response.body())) {
            events = stream.rest();
        }
        assertThat(names(events)).containsExactly("image_generation.partial_image", "image_generation.partial_image",
                "image_generation.completed", "image_generation.completed");
        assertThat(events.get(0).data().get("partial_image_index").asInt()).isEqualTo(0);
        assertThat(events.get(1).data().get("partial_image_index").asInt()).isEqualTo(1);
        JsonNode completed = events.get(2).data();
        assertThat(completed.get("type").asText()).isEqualTo("image_generation.completed");
        assertThat(Base64.getDecoder().decode(completed.get("b64_json").asText())).isEqualTo(Kiln.png(32, 32));
        assertThat(completed.get("size").asText()).isEqualTo("256x256");
        assertThat(completed.get("quality").asText()).isEqualTo("auto");
        assertThat(completed.get("background").asText()).isEqualTo("opaque");
        assertThat(completed.get("output_format").asText()).isEqualTo("png");
        assertThat(completed.get("created_at").isIntegralNumber()).isTrue();
        assertThat(completed.get("usage").get("total_tokens").asInt()).isZero();
    }

    @Test
    void partialImageEventsCarryEveryFieldOfOpenAisType() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        HttpResponse<InputStream> response = generate(a, "{\"prompt\":\"" + TestWorker.COMPLETE + " a kiln\","
                + "\"size\":\"256x256\",\"stream\":true,\"partial_images\":1,\"quality\":\"low\"}");
        List<EventStream.Event> events;
        try (EventStream stream = new EventStream(response.body())) {
            events = stream.rest();
        }
        JsonNode partial = events.get(0).data();
        assertThat(partial.fieldNames()).toIterable().containsExactlyInAnyOrder("type", "b64_json", "created_at",
                "size", "quality", "background", "output_format", "partial_image_index");
        assertThat(partial.get("type").asText()).isEqualTo("image_generation.partial_image");
        assertThat(Base64.getDecoder().decode(partial.get("b64_json").asText())).isEqualTo(Kiln.png(8, 8));
        assertThat(partial.get("quality").asText()).isEqualTo("low");
    }

    @Test
    void editStreamsImageEditEvents() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        String boundary = "kiln" + UUID.randomUUID().toString().replace("-", "");
        byte[] png = Kiln.png(64, 64);
        StringBuilder head = new StringBuilder();
        for (Map.Entry<String, String> f : Map.of("prompt", TestWorker.COMPLETE + " winter", "stream", "true",
                "partial_images", "1", "size", "256x256").entrySet()) {
            head.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"").append(f.getKey())
                    .append("\"\r\n\r\n").append(f.getValue()).append("\r\n");
        }
        head.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"image\"; filename=\"in.png\"")
                .append("\r\nContent-Type: image/png\r\n\r\n");
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] headBytes = head.toString().getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[headBytes.length + png.length + tail.length];
        System.arraycopy(headBytes, 0, body, 0, headBytes.length);
        System.arraycopy(png, 0, body, headBytes.length, png.length);
        System.arraycopy(tail, 0, body, headBytes.length + png.length, tail.length);

        HttpResponse<InputStream> response = post(edits, a, "multipart/form-data; boundary=" + boundary, body);
        assertThat(response.statusCode()).isEqualTo(200);
        List<EventStream.Event> events;
        try (EventStream stream = new EventStream(response.body())) {
            events = stream.rest();
        }
        assertThat(names(events)).containsExactly("image_edit.partial_image", "image_edit.completed");
        assertThat(events.get(1).data().get("type").asText()).isEqualTo("image_edit.completed");
    }

    @Test
    void sendsKeepAliveCommentsWhileTheJobRuns() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        HttpResponse<InputStream> response = generate(a, "{\"prompt\":\"" + TestWorker.HOLD + " slow\","
                + "\"size\":\"256x256\",\"stream\":true}");
        assertThat(response.statusCode()).isEqualTo(200);
        try (EventStream stream = new EventStream(response.body())) {
            List<EventStream.Event> before = new ArrayList<>();
            assertThat(stream.commentUntil("keep-alive"::equals, before)).isTrue();
            assertThat(before).isEmpty();
            TestWorker.get().release(TestWorker.get().heldJob(a.id()));
            assertThat(names(stream.rest())).containsExactly("image_generation.completed");
        }
    }

    @Test
    void aClientThatGoesAwayNeitherCancelsNorLosesItsJob() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        HttpResponse<InputStream> response = post(generations, a, "application/json", ("{\"model\":\"sd-1.5-paid\","
                + "\"prompt\":\"" + TestWorker.HOLD + " abandoned\",\"size\":\"256x256\",\"stream\":true}")
                .getBytes(StandardCharsets.UTF_8));
        try (EventStream stream = new EventStream(response.body())) {
            assertThat(stream.commentUntil("keep-alive"::equals, new ArrayList<>())).isTrue();
        }
        String jobId = TestWorker.get().heldJob(a.id());
        long balanceBefore = a.balanceMicros();
        TestWorker.get().release(jobId);
        HttpResponse<InputStream> feed = HTTP.send(HttpRequest.newBuilder(generations.resolve("/v1/images/jobs/"
                + jobId + "/events")).header("Authorization", a.bearer()).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        List<EventStream.Event> events;
        try (EventStream stream = new EventStream(feed.body())) {
            events = stream.rest();
        }
        assertThat(events.get(events.size() - 1).data().get("status").asText()).isEqualTo("succeeded");
        assertThat(a.reservedMicros()).isZero();
        assertThat(a.balanceMicros()).isEqualTo(balanceBefore);
        assertThat(a.ledgerBalanceMicros()).isEqualTo(a.balanceMicros());
    }

    @Test
    void refusesPartialImagesAboveThreeBeforeAnythingIsCharged() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        Kiln.Snapshot before = a.snapshot();
        given().header("Authorization", a.bearer()).contentType(ContentType.JSON)
                .body("{\"prompt\":\"p\",\"stream\":true,\"partial_images\":4}")
                .post("/v1/images/generations").then().statusCode(400).contentType(ContentType.JSON)
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.param", equalTo("partial_images"));
        assertThat(a.snapshot()).isEqualTo(before);
    }

    @Test
    void refusesAStreamFlagThatIsNotABoolean() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        given().header("Authorization", a.bearer()).contentType(ContentType.JSON)
                .body("{\"prompt\":\"p\",\"stream\":\"sometimes\"}")
                .post("/v1/images/generations").then().statusCode(400)
                .body("error.param", equalTo("stream"));
    }

    @Test
    void aJobThatFailsAfterTheStreamStartedEndsItWithAnErrorEvent() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        HttpResponse<InputStream> response = generate(a, "{\"prompt\":\"" + TestWorker.FAIL + " doomed\","
                + "\"size\":\"256x256\",\"stream\":true,\"partial_images\":1}");
        assertThat(response.statusCode()).isEqualTo(200);
        List<EventStream.Event> events;
        try (EventStream stream = new EventStream(response.body())) {
            events = stream.rest();
        }
        assertThat(names(events)).containsExactly("error");
        JsonNode error = events.get(0).data().get("error");
        assertThat(error.get("type").asText()).isEqualTo("server_error");
        assertThat(error.get("code").asText()).isEqualTo("worker_crashed");
    }

    @Test
    void partialImagesGoIntoTheJobSpec() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        String id = given().header("Authorization", a.bearer()).header("Prefer", "respond-async")
                .contentType(ContentType.JSON).body("{\"prompt\":\"queued\",\"partial_images\":3}")
                .post("/v1/images/generations").then().statusCode(202).extract().path("id");
        assertThat(JobJson.specFromJson(TestWorker.get().record(id).value()).partialImages())
                .isEqualTo(3);
    }
}
