package dev.kiln.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.kiln.api.support.Kiln;
import dev.kiln.api.support.TestWorker;
import dev.kiln.devstack.quarkus.DevStackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/** The key-scoped views of the caller's own account: {@code GET /v1/account} and {@code GET /v1/usage}. */
@QuarkusTest
@QuarkusTestResource(DevStackTestResource.class)
class AccountApiTest {
    private static final String PAID_MODEL = "sd-1.5-paid";
    private static final long PRICE_MICROS = 1000;

    @Test
    void accountShowsWalletTierAndTheKeysLimits() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        given().header("Authorization", a.bearer()).get("/v1/account").then().statusCode(200)
                .header("x-ratelimit-limit-requests", "60")
                .body("object", equalTo("account")).body("id", equalTo(a.id()))
                .body("plan", equalTo("payg")).body("tier", equalTo("free"))
                .body("balance_micros", equalTo(95_000)).body("reserved_micros", equalTo(0))
                .body("rate_limits.window_millis", equalTo(60_000))
                .body("rate_limits.requests.limit", equalTo(60))
                .body("rate_limits.images.limit", equalTo(60))
                .body("rate_limits.images.remaining", equalTo(60));
    }

    @Test
    void accountAndUsageRefuseAMissingOrUnknownKey() {
        given().get("/v1/account").then().statusCode(401).body("error.type", equalTo("authentication_error"));
        given().header("Authorization", "Bearer kiln_sk_nobody_0123456789abcdef0123456789abcdef")
                .get("/v1/usage").then().statusCode(401).body("error.code", equalTo("invalid_api_key"));
    }

    @Test
    void usageCountsOnlyThisKeysJobsImagesAndSpend() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        Kiln.Account otherKey = new Kiln.Account(a.id(), Kiln.admin()
                .contentType(ContentType.JSON).body("{}").post("/admin/v1/accounts/" + a.id() + "/keys")
                .then().statusCode(201).extract().path("key"));
        completed(a, 2);
        completed(otherKey, 1);
        String queued = submit(a, "still queued", 1);

        given().header("Authorization", a.bearer()).get("/v1/usage?period=day").then().statusCode(200)
                .header("x-ratelimit-limit-requests", "60")
                .body("object", equalTo("usage")).body("period", equalTo("day"))
                .body("jobs", equalTo(2)).body("images", equalTo(2))
                .body("spend_micros", equalTo(2 * (int) PRICE_MICROS)).body("refunded_micros", equalTo(0))
                .body("pending_micros", equalTo((int) PRICE_MICROS));
        given().header("Authorization", otherKey.bearer()).get("/v1/usage?period=month").then().statusCode(200)
                .body("period", equalTo("month")).body("jobs", equalTo(1)).body("images", equalTo(1))
                .body("spend_micros", equalTo((int) PRICE_MICROS)).body("pending_micros", equalTo(0));

        given().header("Authorization", a.bearer()).delete("/v1/images/jobs/" + queued).then().statusCode(200);
        given().header("Authorization", a.bearer()).get("/v1/usage").then().statusCode(200)
                .body("period", equalTo("day")).body("jobs", equalTo(2)).body("images", equalTo(2))
                .body("refunded_micros", equalTo((int) PRICE_MICROS)).body("pending_micros", equalTo(0));
    }

    @Test
    void usageRefusesAnUnknownPeriodNamingIt() {
        Kiln.Account a = Kiln.account("payg", "free", 0);
        given().header("Authorization", a.bearer()).get("/v1/usage?period=week").then().statusCode(400)
                .body("error.type", equalTo("invalid_request_error")).body("error.param", equalTo("period"))
                .body("error.code", equalTo("invalid_value"));
    }

    @Test
    void usageOfAKeyThatSubmittedNothingIsZero() {
        Kiln.Account a = Kiln.account("payg", "free", 0);
        given().header("Authorization", a.bearer()).get("/v1/usage?period=month").then().statusCode(200)
                .body("jobs", equalTo(0)).body("images", equalTo(0)).body("spend_micros", equalTo(0))
                .body("error", nullValue());
    }

    private static void completed(Kiln.Account key, int n) throws Exception {
        String id = submit(key, TestWorker.COMPLETE + " usage", n);
        // The test worker hands the record back only after the job was completed in Redis.
        TestWorker.get().record(id);
    }

    private static String submit(Kiln.Account key, String prompt, int n) {
        return given().header("Authorization", key.bearer()).header("Prefer", "respond-async")
                .contentType(ContentType.JSON).body(Map.of("model", PAID_MODEL, "prompt", prompt, "n", n))
                .post("/v1/images/generations").then().statusCode(202).extract().path("id");
    }
}
