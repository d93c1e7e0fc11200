package dev.kiln.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import dev.kiln.api.support.Kiln;
import dev.kiln.devstack.quarkus.DevStackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/** Money and limits under concurrency: the submit script is the only arbiter, and it is exact. */
@QuarkusTest
@QuarkusTestResource(DevStackTestResource.class)
class MoneyAndLimitsTest {
    @TestHTTPResource("/v1/images/generations")
    URI generations;

    private List<HttpResponse<String>> concurrently(Kiln.Account a, int requests, String body) {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            futures.add(http.sendAsync(HttpRequest.newBuilder(generations)
                    .header("Authorization", a.bearer()).header("Prefer", "respond-async")
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        return futures.stream().map(CompletableFuture::join).toList();
    }

    private static Map<Integer, Long> byStatus(List<HttpResponse<String>> responses) {
        return responses.stream().collect(Collectors.groupingBy(HttpResponse::statusCode, Collectors.counting()));
    }

    @Test
    void twoHundredConcurrentSubmissionsAgainstAWalletForFiftyAcceptExactlyFifty() {
        // 52 632 gross - 2 632 fee (5 %, rounded up) = 50 000 credited = 50 images at 1 000 micros.
        Kiln.Account a = Kiln.account("payg", "unlimited", 52_632);
        assertThat(a.balanceMicros()).isEqualTo(50_000);
        long offsetsBefore = Kiln.topicEndOffsets();

        List<HttpResponse<String>> responses = concurrently(a, 200,
                "{\"prompt\":\"race\",\"model\":\"sd-1.5-paid\"}");

        assertThat(byStatus(responses)).containsExactlyInAnyOrderEntriesOf(Map.of(202, 50L, 402, 150L));
        assertThat(a.balanceMicros()).isZero();
        assertThat(a.reservedMicros()).isEqualTo(50_000);
        assertThat(a.ledgerBalanceMicros()).isEqualTo(a.balanceMicros());
        assertThat(a.jobCount()).isEqualTo(50);
        assertThat(Kiln.topicEndOffsets() - offsetsBefore).isEqualTo(50);
    }

    @Test
    void aBurstAgainstSixtyRequestsPerMinuteAdmitsExactlySixty() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        List<HttpResponse<String>> responses = concurrently(a, 100, "{\"prompt\":\"burst\"}");
        assertThat(byStatus(responses)).containsExactlyInAnyOrderEntriesOf(Map.of(202, 60L, 429, 40L));
        HttpResponse<String> limited = responses.stream().filter(r -> r.statusCode() == 429).findFirst().orElseThrow();
        assertThat(limited.headers().firstValue("Retry-After")).get().matches(v -> Integer.parseInt(v) >= 1);
        assertThat(limited.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("0");
        assertThat(limited.body()).contains("\"type\":\"rate_limit_error\"");
        assertThat(a.jobCount()).isEqualTo(60);
    }

    @Test
    void imagesPerMinuteLimitCountsImagesNotRequests() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        given().header("Authorization", a.bearer()).header("Prefer", "respond-async").contentType("application/json")
                .body(Map.of("prompt", "six", "n", 10)).post("/v1/images/generations").then().statusCode(202);
        for (int i = 0; i < 5; i++) {
            given().header("Authorization", a.bearer()).header("Prefer", "respond-async").contentType("application/json")
                    .body(Map.of("prompt", "more", "n", 10)).post("/v1/images/generations").then().statusCode(202);
        }
        Kiln.Snapshot before = a.snapshot();
        given().header("Authorization", a.bearer()).header("Prefer", "respond-async").contentType("application/json")
                .body(Map.of("prompt", "one too many")).post("/v1/images/generations").then().statusCode(429)
                .header("x-ratelimit-remaining-images", "0").header("x-ratelimit-remaining-requests", "54")
                .header("Retry-After", org.hamcrest.Matchers.notNullValue());
        assertThat(a.snapshot()).isEqualTo(before);
    }

    @Test
    void ledgerRecomputesTheBalanceAfterTopUpsReservationsAndSettlements() {
        Kiln.Account a = Kiln.account("payg", "unlimited", 10_000);
        Kiln.admin().contentType("application/json").body(Map.of("amount_micros", 3_333))
                .post("/admin/v1/accounts/" + a.id() + "/top-ups").then().statusCode(200);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(given().header("Authorization", a.bearer()).header("Prefer", "respond-async")
                    .contentType("application/json")
                    .body(Map.of("prompt", "ledger", "n", 2, "model", "sd-1.5-paid")).post("/v1/images/generations")
                    .then().statusCode(202).extract().path("id"));
        }
        given().header("Authorization", a.bearer()).delete("/v1/images/jobs/" + ids.get(0)).then().statusCode(200);
        Map<String, Object> ledger = Kiln.admin()
                .get("/admin/v1/accounts/" + a.id() + "/ledger").then().statusCode(200).extract().as(Map.class);
        long expectedBalance = (10_000 - 500) + (3_333 - 167) - 2 * 2_000;
        assertThat(a.balanceMicros()).isEqualTo(expectedBalance);
        assertThat(((Number) ledger.get("recomputed_balance_micros")).longValue()).isEqualTo(expectedBalance);
        assertThat(((Number) ledger.get("recomputed_reserved_micros")).longValue()).isEqualTo(a.reservedMicros())
                .isEqualTo(4_000);
        Function<String, Long> count = type -> ((List<Map<String, Object>>) ledger.get("data")).stream()
                .filter(e -> type.equals(e.get("type"))).count();
        assertThat(count.apply("topup")).isEqualTo(2);
        assertThat(count.apply("reserve")).isEqualTo(3);
        assertThat(count.apply("settle")).isEqualTo(1);
    }

    @Test
    void invoicedAccountIsRefusedPastItsCreditLimitAndTheRefusalChangesNothing() {
        Kiln.Account a = Kiln.account("invoiced", "unlimited", 0);
        Kiln.admin().contentType("application/json")
                .body(Map.of("credit_limit_micros", 2_500)).put("/admin/v1/accounts/" + a.id() + "/credit-limit")
                .then().statusCode(200);
        given().header("Authorization", a.bearer()).header("Prefer", "respond-async").contentType("application/json")
                .body(Map.of("prompt", "owed", "n", 2, "model", "sd-1.5-paid")).post("/v1/images/generations")
                .then().statusCode(202);
        Kiln.Snapshot before = a.snapshot();

        given().header("Authorization", a.bearer()).header("Prefer", "respond-async").contentType("application/json")
                .body(Map.of("prompt", "one too many", "n", 1, "model", "sd-1.5-paid")).post("/v1/images/generations")
                .then().statusCode(402).body("error.code", equalTo("insufficient_credits"));

        assertThat(a.snapshot()).isEqualTo(before);
        assertThat(a.balanceMicros()).isEqualTo(-2_000);
    }

    @Test
    void invoicedAccountWithoutACreditLimitMayOweWithoutCeiling() {
        Kiln.Account a = Kiln.account("invoiced", "unlimited", 0);
        given().header("Authorization", a.bearer()).header("Prefer", "respond-async").contentType("application/json")
                .body(Map.of("prompt", "owed", "n", 10, "model", "sd-1.5-paid")).post("/v1/images/generations")
                .then().statusCode(202);
        assertThat(a.balanceMicros()).isEqualTo(-10_000);
    }
}
