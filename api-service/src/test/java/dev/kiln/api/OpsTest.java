package dev.kiln.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;

import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.kiln.api.support.Kiln;
import dev.kiln.devstack.quarkus.DevStackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

@QuarkusTest
@QuarkusTestResource(DevStackTestResource.class)
class OpsTest {

    @Test
    void dependenciesGroupReportsRedisAndKafkaUp() {
        given().get("/q/health/group/dependencies").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.name", hasItems("redis", "kafka"));
    }

    @Test
    void readinessDoesNotFollowTheBackends() {
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.name", not(hasItems("redis")));
    }

    @Test
    void metricsExposeSubmissionLatenciesQueueLagAndRequestsByStatus() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        given().header("Authorization", a.bearer()).header("Prefer", "respond-async").contentType(ContentType.JSON)
                .body(Map.of("prompt", "metered")).post("/v1/images/generations").then().statusCode(202);
        given().get("/q/metrics").then().statusCode(200)
                // Buckets, so Prometheus can compute latency quantiles across all API replicas.
                .body(containsString("kiln_api_reserve_seconds_bucket{le="))
                .body(containsString("kiln_api_enqueue_seconds_bucket{le="))
                .body(containsString("kiln_api_queue_lag"))
                .body(containsString("kiln_api_submissions_total{outcome=\"ok\""))
                .body(containsString("status=\"202\""));
    }

    @Test
    void openApiDocumentDescribesTheImageEndpoints() {
        given().get("/q/openapi?format=json").then().statusCode(200)
                .body(containsString("/v1/images/generations")).body(containsString("/v1/images/edits"))
                .body(not(containsString("/admin/v1")));
        given().get("/q/swagger-ui/").then().statusCode(200);
    }

    @Test
    void modelsListIsTheConfiguredCatalog() {
        Kiln.Account a = Kiln.account("payg", "free", 0);
        given().header("Authorization", a.bearer()).get("/v1/models").then().statusCode(200)
                .body("object", equalTo("list")).body("data.id", hasItems("sd-1.5", "sd-1.5-paid"))
                .header("x-ratelimit-limit-images", "60");
    }
}
