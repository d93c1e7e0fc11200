package dev.kiln.api;

import dev.kiln.api.support.Kiln;
import dev.kiln.devstack.quarkus.DevStackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.hasKey;

@QuarkusTest
@QuarkusTestResource(DevStackTestResource.class)
class AdminApiTest {

    private static Map<String, Object> topUp(String account, long gross) {
        return given().header("Authorization", Kiln.ADMIN).contentType(ContentType.JSON)
                .body(Map.of("amount_micros", gross, "reference", "inv-1"))
                .post("/admin/v1/accounts/" + account + "/top-ups").then().statusCode(200).extract().as(Map.class);
    }

    @Test
    void refusesMissingOrWrongAdminToken() {
        given().contentType(ContentType.JSON).body("{}").post("/admin/v1/accounts").then().statusCode(401)
                .body("error.type", equalTo("authentication_error"));
        given().header("Authorization", "Bearer test-admin-tokeN").get("/admin/v1/accounts/x").then().statusCode(401);
    }

    @Test
    void apiKeysAreNotAdminTokens() {
        Kiln.Account a = Kiln.account("payg", "free", 0);
        given().header("Authorization", a.bearer()).get("/admin/v1/accounts/" + a.id()).then().statusCode(401);
    }

    @Test
    void topUpKeepsAFivePercentFeeRoundedUpToAWholeMicro() {
        Kiln.Account a = Kiln.account("payg", "free", 0);
        assertThat(topUp(a.id(), 1_000_000)).containsEntry("fee_micros", 50_000).containsEntry("credited_micros", 950_000)
                .containsEntry("balance_micros", 950_000);
        assertThat(topUp(a.id(), 21)).containsEntry("fee_micros", 2).containsEntry("credited_micros", 19)
                .containsEntry("balance_micros", 950_019);
        given().header("Authorization", Kiln.ADMIN).get("/admin/v1/accounts/" + a.id()).then().statusCode(200)
                .body("balance_micros", equalTo(950_019)).body("reserved_micros", equalTo(0))
                .body("plan", equalTo("payg"));
        assertThat(a.ledgerBalanceMicros()).isEqualTo(950_019);
    }

    @Test
    void rejectsNonPositiveOrFractionalTopUps() {
        Kiln.Account a = Kiln.account("payg", "free", 0);
        for (Object amount : new Object[]{0, -5, 1.5, "100"}) {
            given().header("Authorization", Kiln.ADMIN).contentType(ContentType.JSON).body(Map.of("amount_micros", amount))
                    .post("/admin/v1/accounts/" + a.id() + "/top-ups").then().statusCode(400)
                    .body("error.param", equalTo("amount_micros"));
        }
        assertThat(a.ledgerLength()).isZero();
    }

    @Test
    void topUpOfUnknownAccountIsNotFound() {
        given().header("Authorization", Kiln.ADMIN).contentType(ContentType.JSON).body(Map.of("amount_micros", 10))
                .post("/admin/v1/accounts/nobody-here/top-ups").then().statusCode(404).body("error.type", equalTo("not_found"));
    }

    @Test
    void createsAccountsOnceAndValidatesPlanAndTier() {
        given().header("Authorization", Kiln.ADMIN).contentType(ContentType.JSON)
                .body(Map.of("id", "dup-acct-1", "plan", "invoiced", "tier", "standard"))
                .post("/admin/v1/accounts").then().statusCode(201).body("plan", equalTo("invoiced"))
                .body("tier", equalTo("standard")).body("balance_micros", equalTo(0));
        given().header("Authorization", Kiln.ADMIN).contentType(ContentType.JSON)
                .body(Map.of("id", "dup-acct-1", "plan", "payg")).post("/admin/v1/accounts").then().statusCode(409);
        given().header("Authorization", Kiln.ADMIN).contentType(ContentType.JSON).body(Map.of("plan", "free-lunch"))
                .post("/admin/v1/accounts").then().statusCode(400).body("error.param", equalTo("plan"));
        given().header("Authorization", Kiln.ADMIN).contentType(ContentType.JSON).body(Map.of("tier", "platinum"))
                .post("/admin/v1/accounts").then().statusCode(400).body("error.param", equalTo("tier"));
        given().header("Authorization", Kiln.ADMIN).contentType(ContentType.JSON).body("{oops")
                .post("/admin/v1/accounts").then().statusCode(400).body("error.code", equalTo("invalid_json"));
    }

    @Test
    void issuedKeySecretIsShownOnceAndStoredOnlyAsAHash() {
        Kiln.Account a = Kiln.account("payg", "free", 0);
        String secretPart = a.key().substring(a.key().lastIndexOf('_') + 1);
        given().header("Authorization", Kiln.ADMIN).get("/admin/v1/accounts/" + a.id() + "/keys").then().statusCode(200)
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
        given().header("Authorization", Kiln.ADMIN).get("/admin/v1/accounts/" + a.id() + "/usage").then().statusCode(200)
                .body("jobs_submitted", equalTo(1)).body("top_ups_micros", equalTo(1_000_000))
                .body("fees_micros", equalTo(50_000)).body("reserved_micros", equalTo(2_000))
                .body("balance_micros", equalTo(948_000));
    }
}
