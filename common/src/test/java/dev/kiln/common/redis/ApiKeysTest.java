package dev.kiln.common.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

import org.junit.jupiter.api.Test;

class ApiKeysTest {
    private static final byte[] PEPPER = "pepper".getBytes(StandardCharsets.UTF_8);

    @Test
    void generatedKeyParsesBackToItsAccount() {
        String key = ApiKeys.generate("acct-1", new SecureRandom());
        assertThat(ApiKeys.parse(key)).get()
                .extracting(ApiKeys.ParsedKey::accountId).isEqualTo("acct-1");
    }

    @Test
    void secretMayContainUnderscoresBecauseTheAccountEndsAtTheFirstOne() {
        assertThat(ApiKeys.parse("kiln_sk_acct_se_cr_et")).get()
                .satisfies(p -> {
                    assertThat(p.accountId()).isEqualTo("acct");
                    assertThat(p.secret()).isEqualTo("se_cr_et");
                });
    }

    @Test
    void rejectsKeysOfAnotherFormat() {
        assertThat(ApiKeys.parse("sk-openai-style")).isEmpty();
        assertThat(ApiKeys.parse("kiln_sk_")).isEmpty();
        assertThat(ApiKeys.parse("kiln_sk_acct_")).isEmpty();
        assertThat(ApiKeys.parse("kiln_sk_{bad}_secret")).isEmpty();
        assertThat(ApiKeys.parse(null)).isEmpty();
    }

    @Test
    void hashIsHmacSha256HexAndDependsOnThePepper() {
        String a = ApiKeys.hash(PEPPER, "kiln_sk_a_x");
        assertThat(a).hasSize(64).matches("[0-9a-f]+");
        assertThat(ApiKeys.hash("other".getBytes(StandardCharsets.UTF_8), "kiln_sk_a_x")).isNotEqualTo(a);
    }

    @Test
    void refusesAnEmptyPepper() {
        assertThatThrownBy(() -> ApiKeys.hash(new byte[0], "k")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void parsedKeyNeverPrintsItsSecret() {
        assertThat(ApiKeys.parse("kiln_sk_acct_topsecret").orElseThrow().toString()).doesNotContain("topsecret");
    }
}
