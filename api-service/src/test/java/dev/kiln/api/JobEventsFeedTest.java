package dev.kiln.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.kiln.api.support.EventStream;
import dev.kiln.api.support.Kiln;
import dev.kiln.api.support.TestWorker;
import dev.kiln.devstack.quarkus.DevStackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/** {@code GET /v1/images/jobs/{id}/events} and the {@code progress} of {@code GET /v1/images/jobs/{id}}. */
@QuarkusTest
@QuarkusTestResource(DevStackTestResource.class)
class JobEventsFeedTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @TestHTTPResource("/v1/images/jobs/")
    URI jobs;

    @BeforeAll
    static void startWorker() {
        TestWorker.get();
    }

    private static String submitAsync(Kiln.Account a, String json) {
        return given().header("Authorization", a.bearer()).header("Prefer", "respond-async")
                .contentType(ContentType.JSON).body(json)
                .post("/v1/images/generations").then().statusCode(202).extract().path("id");
    }

    private HttpResponse<InputStream> feed(Kiln.Account a, String jobId) throws Exception {
        return feed(a, jobId, "*/*");
    }

    private HttpResponse<InputStream> feed(Kiln.Account a, String jobId, String accept) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(jobs.resolve(jobId + "/events")).header("Authorization", a.bearer())
                .header("Accept", accept).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
    }

    private static List<String> names(List<EventStream.Event> events) {
        return events.stream().map(EventStream.Event::name).toList();
    }

    @Test
    void feedReportsProgressAndPreviewsAndEndsWithTheJob() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        String id = submitAsync(a, "{\"prompt\":\"" + TestWorker.HOLD + " followed\",\"size\":\"256x256\","
                + "\"partial_images\":2,\"steps\":20}");
        TestWorker.get().awaitRunning(id);
        HttpResponse<InputStream> response = feed(a, id);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).get().asString().startsWith("text/event-stream");
        try (EventStream stream = new EventStream(response.body())) {
            EventStream.Event progress = stream.next();
            assertThat(progress.name()).isEqualTo("progress");
            assertThat(progress.data().get("step").asInt()).isEqualTo(1);
            assertThat(progress.data().get("steps").asInt()).isEqualTo(20);
            TestWorker.get().release(id);
            List<EventStream.Event> rest = stream.rest();
            assertThat(names(rest)).containsExactly("partial_image", "partial_image", "job");
            assertThat(rest.get(1).data().get("partial_image_index").asInt()).isEqualTo(1);
            JsonNode job = rest.get(2).data();
            assertThat(job.get("id").asText()).isEqualTo(id);
            assertThat(job.get("status").asText()).isEqualTo("succeeded");
            assertThat(job.get("result").get("data").size()).isEqualTo(1);
        }
    }

    @Test
    void aClientAskingForAnEventStreamGetsTheFeed() throws Exception {
        // What browsers' fetch() and EventSource send.
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        String id = given().header("Authorization", a.bearer()).contentType(ContentType.JSON)
                .body("{\"prompt\":\"" + TestWorker.COMPLETE + " asked\",\"size\":\"256x256\"}")
                .post("/v1/images/generations").then().statusCode(200).extract().path("id");
        HttpResponse<InputStream> response = feed(a, id, "text/event-stream");
        assertThat(response.statusCode()).isEqualTo(200);
        try (EventStream stream = new EventStream(response.body())) {
            assertThat(names(stream.rest())).containsExactly("job");
        }
    }

    @Test
    void aFinishedJobsFeedIsItsJobEventAlone() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        String id = given().header("Authorization", a.bearer()).contentType(ContentType.JSON)
                .body("{\"prompt\":\"" + TestWorker.COMPLETE + " done\",\"size\":\"256x256\"}")
                .post("/v1/images/generations").then().statusCode(200).extract().path("id");
        List<EventStream.Event> events;
        try (EventStream stream = new EventStream(feed(a, id).body())) {
            events = stream.rest();
        }
        assertThat(names(events)).containsExactly("job");
        assertThat(events.get(0).data().get("status").asText()).isEqualTo("succeeded");
    }

    @Test
    void anotherAccountsJobHasNoFeed() throws Exception {
        Kiln.Account owner = Kiln.account("payg", "free", 100_000);
        Kiln.Account other = Kiln.account("payg", "free", 100_000);
        String id = submitAsync(owner, "{\"prompt\":\"mine\"}");
        given().header("Authorization", other.bearer()).get("/v1/images/jobs/" + id + "/events")
                .then().statusCode(404).contentType(ContentType.JSON).body("error.type", equalTo("not_found"));
    }

    @Test
    void aFeedNeedsAValidKey() {
        given().header("Authorization", "Bearer kiln_sk_nobody_nothing").get("/v1/images/jobs/img_0/events")
                .then().statusCode(401).body("error.type", equalTo("authentication_error"));
    }

    @Test
    void aRunningJobShowsItsProgress() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        String id = submitAsync(a, "{\"prompt\":\"" + TestWorker.HOLD + " polled\",\"steps\":12}");
        TestWorker.get().awaitRunning(id);
        given().header("Authorization", a.bearer()).get("/v1/images/jobs/" + id).then().statusCode(200)
                .body("status", equalTo("running")).body("progress.step", equalTo(1))
                .body("progress.steps", equalTo(12));
        TestWorker.get().release(id);
    }
}
