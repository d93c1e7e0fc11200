package dev.kiln.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.kiln.api.support.Kiln;
import dev.kiln.devstack.quarkus.DevStackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;

/** Every refusal: its status, OpenAI error type and param — and that nothing was reserved, enqueued or written. */
@QuarkusTest
@QuarkusTestResource(DevStackTestResource.class)
class SubmissionErrorsTest {
    private Kiln.Account account;
    private Kiln.Snapshot before;

    @BeforeEach
    void fundedAccount() {
        account = Kiln.account("payg", "free", 100_000);
        before = account.snapshot();
    }

    private ValidatableResponse generate(Object body) {
        return given().header("Authorization", account.bearer()).header("Prefer", "respond-async")
                .contentType(ContentType.JSON).body(body).post("/v1/images/generations").then();
    }

    private static Map<String, Object> with(Object... kv) {
        Map<String, Object> m = new HashMap<>(Map.of("prompt", "a lighthouse"));
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private void assertInvalid(ValidatableResponse r, String param) {
        r.statusCode(400).body("error.type", equalTo("invalid_request_error")).body("error.param", equalTo(param))
                .body("error.message", not(containsString("Exception")))
                // The key was checked (and is good): its limits are reported, unchanged by the refusal.
                .header("x-ratelimit-remaining-requests", "60");
        assertNothingChanged();
    }

    private void assertNothingChanged() {
        assertThat(account.snapshot()).isEqualTo(before);
    }

    @Test
    void rejectsSizeThatIsNotWidthByHeight() {
        assertInvalid(generate(with("size", "big")), "size");
    }

    @Test
    void rejectsSizeNotAMultipleOfEight() {
        assertInvalid(generate(with("size", "500x512")), "size");
    }

    @Test
    void rejectsSizeOutsideSixtyFourToOneThousandTwentyFour() {
        assertInvalid(generate(with("size", "1032x512")), "size");
        assertInvalid(generate(with("size", "56x512")), "size");
    }

    @Test
    void rejectsNOutsideOneToTen() {
        assertInvalid(generate(with("n", 0)), "n");
        assertInvalid(generate(with("n", 11)), "n");
        assertInvalid(generate(with("n", "two")), "n");
    }

    @Test
    void rejectsStrengthOutsideZeroToOne() {
        assertInvalid(generate(with("strength", 1.5)), "strength");
    }

    @Test
    void rejectsStepsOutsideTheDocumentedRange() {
        assertInvalid(generate(with("steps", 0)), "steps");
        assertInvalid(generate(with("steps", 101)), "steps");
    }

    @Test
    void rejectsGuidanceOutsideTheDocumentedRange() {
        assertInvalid(generate(with("guidance_scale", -1)), "guidance_scale");
    }

    @Test
    void rejectsUnknownScheduler() {
        assertInvalid(generate(with("scheduler", "heun")), "scheduler");
    }

    @Test
    void rejectsUnknownResponseFormat() {
        assertInvalid(generate(with("response_format", "png")), "response_format");
    }

    @Test
    void rejectsMissingOrOverlongPrompt() {
        assertInvalid(generate(Map.of("n", 1)), "prompt");
        assertInvalid(generate(with("prompt", "x".repeat(4001))), "prompt");
    }

    @Test
    void rejectsAnImageThatDoesNotDecode() {
        assertInvalid(generate(with("image", Base64.getEncoder().encodeToString("not an image".getBytes()))), "image");
        assertInvalid(generate(with("image", "***not base64***")), "image");
    }

    @Test
    void rejectsAnImageWiderThan2048Pixels() {
        assertInvalid(generate(with("image", Base64.getEncoder().encodeToString(Kiln.png(2056, 8)))), "image");
    }

    @Test
    void rejectsAnImageLargerThanFourMegabytes() {
        byte[] big = new byte[4 * 1024 * 1024 + 1];
        generate(with("image", Base64.getEncoder().encodeToString(big)))
                .statusCode(400).body("error.param", equalTo("image")).body("error.code", equalTo("image_too_large"));
        assertNothingChanged();
    }

    @Test
    void rejectsAMask() {
        assertInvalid(generate(with("mask", "abc")), "mask");
    }

    @Test
    void rejectsMalformedJsonWith400NotA500() {
        given().header("Authorization", account.bearer()).contentType(ContentType.JSON).body("{\"prompt\": ")
                .post("/v1/images/generations").then().statusCode(400)
                .body("error.type", equalTo("invalid_request_error")).body("error.code", equalTo("invalid_json"));
        given().header("Authorization", account.bearer()).contentType(ContentType.JSON).body("[1,2]")
                .post("/v1/images/generations").then().statusCode(400).body("error.code", equalTo("invalid_json"));
        assertNothingChanged();
    }

    @Test
    void unknownModelIsNotFound() {
        generate(with("model", "dall-e-9")).statusCode(404).body("error.type", equalTo("not_found"))
                .body("error.param", equalTo("model"));
        assertNothingChanged();
    }

    @Test
    void missingKeyIsUnauthenticated() {
        given().contentType(ContentType.JSON).body(with()).post("/v1/images/generations").then()
                .statusCode(401).body("error.type", equalTo("authentication_error"))
                .header("x-ratelimit-limit-requests", nullValue());
        assertNothingChanged();
    }

    @Test
    void unknownKeyIsUnauthenticated() {
        given().header("Authorization", "Bearer kiln_sk_" + account.id() + "_wrongsecret").contentType(ContentType.JSON)
                .body(with()).post("/v1/images/generations").then()
                .statusCode(401).body("error.type", equalTo("authentication_error"));
        given().header("Authorization", "Bearer sk-proj-something").contentType(ContentType.JSON)
                .body(with()).post("/v1/images/generations").then().statusCode(401);
        assertNothingChanged();
    }

    @Test
    void anInvalidBodyWithAnUnknownKeyIsUnauthenticatedNotInvalid() {
        given().header("Authorization", "Bearer kiln_sk_" + account.id() + "_wrongsecret").contentType(ContentType.JSON)
                .body(with("size", "big")).post("/v1/images/generations").then()
                .statusCode(401).body("error.type", equalTo("authentication_error"));
        assertNothingChanged();
    }

    @Test
    void malformedJsonWithoutAKeyIsUnauthenticated() {
        given().contentType(ContentType.JSON).body("{\"prompt\": ").post("/v1/images/generations").then()
                .statusCode(401).body("error.type", equalTo("authentication_error"));
        assertNothingChanged();
    }

    @Test
    void anInvalidEditWithAnUnknownKeyIsUnauthenticated() {
        given().header("Authorization", "Bearer kiln_sk_" + account.id() + "_wrongsecret").multiPart("prompt", "x")
                .post("/v1/images/edits").then()
                .statusCode(401).body("error.type", equalTo("authentication_error"));
        assertNothingChanged();
    }

    @Test
    void revokedKeyIsUnauthenticated() {
        String keyId = Kiln.admin().get("/admin/v1/accounts/" + account.id() + "/keys")
                .then().statusCode(200).extract().path("data[0].key_id");
        Kiln.admin().delete("/admin/v1/accounts/" + account.id() + "/keys/" + keyId)
                .then().statusCode(200).body("status", equalTo("revoked"));
        generate(with()).statusCode(401).body("error.type", equalTo("authentication_error"));
        given().header("Authorization", account.bearer()).get("/v1/models").then().statusCode(401);
        assertNothingChanged();
    }

    @Test
    void emptyWalletIsRefusedEvenForAFreeModel() {
        Kiln.Account empty = Kiln.account("payg", "free", 0);
        Kiln.Snapshot emptyBefore = empty.snapshot();
        given().header("Authorization", empty.bearer()).contentType(ContentType.JSON).body(with())
                .post("/v1/images/generations").then().statusCode(402)
                .body("error.type", equalTo("insufficient_credits"))
                .header("x-ratelimit-remaining-requests", "60");
        assertThat(empty.snapshot()).isEqualTo(emptyBefore);
    }

    @Test
    void walletThatCannotPayForNImagesIsRefused() {
        Kiln.Account small = Kiln.account("payg", "free", 2_106); // credited 2 000 = two paid images
        Kiln.Snapshot smallBefore = small.snapshot();
        given().header("Authorization", small.bearer()).contentType(ContentType.JSON)
                .body(with("n", 3, "model", "sd-1.5-paid")).post("/v1/images/generations").then().statusCode(402)
                .body("error.type", equalTo("insufficient_credits"));
        assertThat(small.snapshot()).isEqualTo(smallBefore);
    }

    @Test
    void invoicedAccountIsNeverRefusedForCredit() {
        Kiln.Account invoiced = Kiln.account("invoiced", "free", 0);
        given().header("Authorization", invoiced.bearer()).header("Prefer", "respond-async").contentType(ContentType.JSON)
                .body(with("n", 3, "model", "sd-1.5-paid")).post("/v1/images/generations").then().statusCode(202);
        assertThat(invoiced.balanceMicros()).isEqualTo(-3000);
        assertThat(invoiced.ledgerBalanceMicros()).isEqualTo(-3000);
    }

    @Test
    void unknownPathIsNotFoundInOpenAiShape() {
        given().header("Authorization", account.bearer()).get("/v1/nothing-here").then().statusCode(404)
                .body("error.type", equalTo("not_found"));
    }

    @Test
    void unknownModelIdIsNotFound() {
        given().header("Authorization", account.bearer()).get("/v1/models/nope").then().statusCode(404)
                .body("error.type", equalTo("not_found")).header("x-ratelimit-limit-requests", "60");
        given().header("Authorization", account.bearer()).get("/v1/models/sd-1.5").then().statusCode(200)
                .body("id", equalTo("sd-1.5")).body("object", equalTo("model"));
    }

    @Test
    void editsRejectsAMaskFile() {
        given().header("Authorization", account.bearer()).multiPart("prompt", "x")
                .multiPart("image", "in.png", Kiln.png(64, 64), "image/png")
                .multiPart("mask", "mask.png", Kiln.png(64, 64), "image/png")
                .post("/v1/images/edits").then().statusCode(400).body("error.param", equalTo("mask"));
        assertNothingChanged();
    }

    @Test
    void editsRequiresAnImage() {
        given().header("Authorization", account.bearer()).multiPart("prompt", "x")
                .post("/v1/images/edits").then().statusCode(400).body("error.param", equalTo("image"));
        assertNothingChanged();
    }
}
