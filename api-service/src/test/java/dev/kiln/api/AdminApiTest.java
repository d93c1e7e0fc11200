package dev.kiln.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;

import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import dev.kiln.api.support.Kiln;
import dev.kiln.devstack.quarkus.DevStackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

@QuarkusTest
@QuarkusTestResource(DevStackTestResource.class)
class AdminApiTest {

    private static Map<String, Object> topUp(String account, long gross) {
        return Kiln.admin().contentType(ContentType.JSON)
                .body(Map.of("amount_micros", gross, "reference", "inv-" + UUID.randomUUID()))
                .post("/admin/v1/accounts/" + account + "/top-ups").then().statusCode(200).extract().as(Map.class);
    }

    @Test
    void refusesMissingOrWrongAdminToken() {
        Kiln.adminPort().contentType(ContentType.JSON).body("{}").post("/admin/v1/accounts").then().statusCode(401)
                .body("error.type", equalTo("authentication_error"));
        Kiln.adminPort().header("Authorization", "Bearer test-admin-tokeN").get("/admin/v1/accounts/x").then().statusCode(401);
    }

    @Test
    void apiKeysAreNotAdminTokens() {
        Kiln.Account a = Kiln.account("payg", "free", 0);
        Kiln.adminPort().header("Authorization", a.bearer()).get("/admin/v1/accounts/" + a.id()).then().statusCode(401);
    }

    @Test
    void topUpKeepsAFivePercentFeeRoundedUpToAWholeMicro() {
        Kiln.Account a = Kiln.account("payg", "free", 0);
        assertThat(topUp(a.id(), 1_000_000)).containsEntry("fee_micros", 50_000).containsEntry("credited_micros", 950_000)
                .containsEntry("balance_micros", 950_000);
        assertThat(topUp(a.id(), 21)).containsEntry("fee_micros", 2).containsEntry("credited_micros", 19)
                .containsEntry("balance_micros", 950_019);
        Kiln.admin().get("/admin/v1/accounts/" + a.id()).then().statusCode(200)
                .body("balance_micros", equalTo(950_019)).body("reserved_micros", equalTo(0))
                .body("plan", equalTo("payg"));
        assertThat(a.ledgerBalanceMicros()).isEqualTo(950_019);
    }

    @Test
    void rejectsNonPositiveOrFractionalTopUps() {
        Kiln.Account a = Kiln.account("payg", "free", 0);
        for (Object amount : new Object[] { 0, -5, 1.5, "100" }) {
            Kiln.admin().contentType(ContentType.JSON).body(Map.of("amount_micros", amount))
                    .post("/admin/v1/accounts/" + a.id() + "/top-ups").then().statusCode(400)
                    .body("error.param", equalTo("amount_micros"));
        }
        assertThat(a.ledgerLength()).isZero();
    }

    @Test
    void topUpOfUnknownAccountIsNotFound() {
        Kiln.admin().contentType(ContentType.JSON).body(Map.of("amount_micros", 10))
                .post("/admin/v1/accounts/nobody-here/top-ups").then().statusCode(404).body("error.type", equalTo("not_found"));
    }

    @Test
    void createsAccountsOnceAndValidatesPlanAndTier() {
        Kiln.admin().contentType(ContentType.JSON)
                .body(Map.of("id", "dup-acct-1", "plan", "invoiced", "tier", "standard"))
                .post("/admin/v1/accounts").then().statusCode(201).body("plan", equalTo("invoiced"))
                .body("tier", equalTo("standard")).body("balance_micros", equalTo(0));
        Kiln.admin().contentType(ContentType.JSON)
                .body(Map.of("id", "dup-acct-1", "plan", "payg")).post("/admin/v1/accounts").then().statusCode(409);
        Kiln.admin().contentType(ContentType.JSON).body(Map.of("plan", "free-lunch"))
                .post("/admin/v1/accounts").then().statusCode(400).body("error.param", equalTo("plan"));
        Kiln.admin().contentType(ContentType.JSON).body(Map.of("tier", "platinum"))
                .post("/admin/v1/accounts").then().statusCode(400).body("error.param", equalTo("tier"));
        Kiln.admin().contentType(ContentType.JSON).body("{oops")
                .post("/admin/v1/accounts").then().statusCode(400).body("error.code", equalTo("invalid_json"));
    }

    @Test
    void issuedKeySecretIsShownOnceAndStoredOnlyAsAHash() {
        Kiln.Account a = Kiln.account("payg", "free", 0);
        String secretPart = a.key().substring(a.key().lastIndexOf('_') + 1);
        Kiln.admin().get("/admin/v1/accounts/" + a.id() + "/keys").then().statusCode(200)
                .body("data", hasSize(1)).body("data[0]", not(hasKey("key")))
                .body("data[0].status", equalTo("active"));
        assertThat(Kiln.redis().keys("kiln:{a:" + a.id() + "}:*")).noneMatch(k -> k.contains(secretPart));
    }

    @Test
    void usageSummarisesTheLedger() {
        Kiln.Account a = Kiln.account("payg", "unlimited", 1_000_000);
        given().header("Authorization", a.bearer()).header("Prefer", "respond-async").contentType(ContentType.JSON)
                .body(Map.of("prompt", "u", "n", 2, "model", "sd-1.5-paid")).post("/v1/images/generations")
                .then().statusCode(202);
        Kiln.admin().get("/admin/v1/accounts/" + a.id() + "/usage").then().statusCode(200)
                .body("jobs_submitted", equalTo(1)).body("top_ups_micros", equalTo(1_000_000))
                .body("fees_micros", equalTo(50_000)).body("reserved_micros", equalTo(2_000))
                .body("balance_micros", equalTo(948_000));
    }

    @Test
    void topUpRetriedWithTheSameReferenceIsCreditedOnceAndAnswersTheFirstResult() {
        Kiln.Account a = Kiln.account("payg", "free", 0);
        Map<String, Object> body = Map.of("amount_micros", 1_000_000, "reference", "pay-" + a.id());
        Map<String, Object> first = Kiln.admin().contentType(ContentType.JSON).body(body)
                .post("/admin/v1/accounts/" + a.id() + "/top-ups").then().statusCode(200)
                .header("Idempotent-Replayed", (String) null).extract().as(Map.class);
        topUp(a.id(), 21);

        Map<String, Object> retry = Kiln.admin().contentType(ContentType.JSON).body(body)
                .post("/admin/v1/accounts/" + a.id() + "/top-ups").then().statusCode(200)
                .header("Idempotent-Replayed", "true").extract().as(Map.class);

        assertThat(retry).isEqualTo(first).containsEntry("balance_micros", 950_000);
        assertThat(a.balanceMicros()).isEqualTo(950_019);
        assertThat(a.ledgerLength()).isEqualTo(2);
        assertThat(a.ledgerBalanceMicros()).isEqualTo(950_019);
    }

    @Test
    void topUpReferenceReusedWithAnotherAmountIsRefusedAndCreditsNothing() {
        Kiln.Account a = Kiln.account("payg", "free", 0);
        String reference = "pay-" + a.id();
        Kiln.admin().contentType(ContentType.JSON)
                .body(Map.of("amount_micros", 1_000_000, "reference", reference))
                .post("/admin/v1/accounts/" + a.id() + "/top-ups").then().statusCode(200);

        Kiln.admin().contentType(ContentType.JSON)
                .body(Map.of("amount_micros", 2_000_000, "reference", reference))
                .post("/admin/v1/accounts/" + a.id() + "/top-ups").then().statusCode(409)
                .body("error.code", equalTo("top_up_reference_reused")).body("error.param", equalTo("reference"));

        assertThat(a.balanceMicros()).isEqualTo(950_000);
        assertThat(a.ledgerLength()).isEqualTo(1);
    }

    @Test
    void topUpsWithoutAReferenceAreNeverDeduplicated() {
        Kiln.Account a = Kiln.account("payg", "free", 0);
        for (int i = 0; i < 2; i++) {
            Kiln.admin().contentType(ContentType.JSON).body(Map.of("amount_micros", 100))
                    .post("/admin/v1/accounts/" + a.id() + "/top-ups").then().statusCode(200);
        }
        assertThat(a.balanceMicros()).isEqualTo(190);
    }

    @Test
    void invoicedAccountGetsItsTiersCreditLimitUnlessGivenOne() {
        String id = "cl-" + UUID.randomUUID().toString().substring(0, 8);
        Kiln.admin().contentType(ContentType.JSON)
                .body(Map.of("id", id, "plan", "invoiced", "tier", "standard"))
                .post("/admin/v1/accounts").then().statusCode(201).body("credit_limit_micros", equalTo(1_000_000_000));
        Kiln.admin().contentType(ContentType.JSON)
                .body(Map.of("id", id + "b", "plan", "invoiced", "tier", "standard", "credit_limit_micros", 5_000))
                .post("/admin/v1/accounts").then().statusCode(201).body("credit_limit_micros", equalTo(5_000));
        Kiln.admin().contentType(ContentType.JSON)
                .body(Map.of("id", id + "c", "plan", "payg", "credit_limit_micros", 5_000))
                .post("/admin/v1/accounts").then().statusCode(400).body("error.param", equalTo("credit_limit_micros"));
    }

    @Test
    void creditLimitCanBeChangedAndRemoved() {
        Kiln.Account a = Kiln.account("invoiced", "unlimited", 0);
        Kiln.admin().contentType(ContentType.JSON).body(Map.of("credit_limit_micros", 7))
                .put("/admin/v1/accounts/" + a.id() + "/credit-limit").then().statusCode(200)
                .body("credit_limit_micros", equalTo(7));
        Kiln.admin().contentType(ContentType.JSON).body("{\"credit_limit_micros\":null}")
                .put("/admin/v1/accounts/" + a.id() + "/credit-limit").then().statusCode(200)
                .body("credit_limit_micros", equalTo(null));
        Kiln.admin().contentType(ContentType.JSON).body(Map.of("credit_limit_micros", -1))
                .put("/admin/v1/accounts/" + a.id() + "/credit-limit").then().statusCode(400);
    }

    @Test
    void ledgerIsReadInBoundedPagesFollowingTheCursor() {
        Kiln.Account a = Kiln.account("payg", "free", 0);
        for (int i = 1; i <= 5; i++) {
            topUp(a.id(), 100 * i);
        }
        String ledger = "/admin/v1/accounts/" + a.id() + "/ledger";

        Map<String, Object> first = Kiln.admin().queryParam("limit", 2).get(ledger)
                .then().statusCode(200).body("data", hasSize(2)).body("has_more", equalTo(true))
                .body("opening_balance_micros", equalTo(0)).extract().as(Map.class);
        Map<String, Object> second = Kiln.admin().queryParam("limit", 2)
                .queryParam("after", first.get("next_cursor")).get(ledger)
                .then().statusCode(200).body("data", hasSize(2)).extract().as(Map.class);
        Map<String, Object> last = Kiln.admin().queryParam("limit", 2)
                .queryParam("after", second.get("next_cursor")).get(ledger)
                .then().statusCode(200).body("data", hasSize(1)).body("has_more", equalTo(false))
                .body("next_cursor", equalTo(null)).extract().as(Map.class);

        assertThat(second.get("opening_balance_micros")).isEqualTo(first.get("recomputed_balance_micros"));
        assertThat(last.get("opening_balance_micros")).isEqualTo(second.get("recomputed_balance_micros"));
        assertThat(((Number) last.get("recomputed_balance_micros")).longValue()).isEqualTo(a.balanceMicros());
    }

    @Test
    void ledgerPageSizeAndCursorAreValidated() {
        Kiln.Account a = Kiln.account("payg", "free", 0);
        String ledger = "/admin/v1/accounts/" + a.id() + "/ledger";
        for (String limit : new String[] { "0", "1001", "ten" }) {
            Kiln.admin().queryParam("limit", limit).get(ledger).then().statusCode(400)
                    .body("error.param", equalTo("limit"));
        }
        Kiln.admin().queryParam("after", "x-1").get(ledger).then().statusCode(400)
                .body("error.param", equalTo("after"));
        Kiln.admin().queryParam("limit", 1).get("/admin/v1/accounts/" + a.id() + "/usage")
                .then().statusCode(200).body("entries", equalTo(0)).body("has_more", equalTo(false));
    }

    @Test
    void usageIsSummedPerPage() {
        Kiln.Account a = Kiln.account("payg", "free", 0);
        topUp(a.id(), 1_000);
        topUp(a.id(), 2_000);
        String usage = "/admin/v1/accounts/" + a.id() + "/usage";
        String cursor = Kiln.admin().queryParam("limit", 1).get(usage).then()
                .statusCode(200).body("top_ups_micros", equalTo(1_000)).body("has_more", equalTo(true))
                .extract().path("next_cursor");
        Kiln.admin().queryParam("limit", 1).queryParam("after", cursor).get(usage).then()
                .statusCode(200).body("top_ups_micros", equalTo(2_000)).body("has_more", equalTo(false));
    }

    @Test
    void adminApiIsNotServedOnThePublicPort() {
        given().header("Authorization", Kiln.ADMIN).get("/admin/v1/accounts/x").then().statusCode(404)
                .body("error.type", equalTo("not_found"));
        given().header("Authorization", Kiln.ADMIN).contentType(ContentType.JSON).body(Map.of("plan", "payg"))
                .post("/admin/v1/accounts").then().statusCode(404);
    }

    @Test
    void unknownAdminPathIsAJsonNotFound() {
        Kiln.admin().get("/admin/v1/nothing-here").then().statusCode(404).body("error.code", equalTo("not_found"));
    }
}
