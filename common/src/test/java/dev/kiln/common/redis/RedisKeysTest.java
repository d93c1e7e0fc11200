package dev.kiln.common.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RedisKeysTest {
    @Test
    void everyAccountKeyCarriesTheSameHashTag() {
        assertThat(RedisKeys.account("a1")).isEqualTo("kiln:{a:a1}:account");
        assertThat(RedisKeys.apiKey("a1", "ff")).isEqualTo("kiln:{a:a1}:key:ff");
        assertThat(RedisKeys.rateLimit("a1", RedisKeys.RL_IMAGES, "ff")).isEqualTo("kiln:{a:a1}:rl:img:ff");
        assertThat(RedisKeys.job("a1", "img_1")).isEqualTo("kiln:{a:a1}:job:img_1");
        assertThat(RedisKeys.ledger("a1")).isEqualTo("kiln:{a:a1}:ledger");
        assertThat(RedisKeys.idempotency("a1", "ab")).isEqualTo("kiln:{a:a1}:idem:ab");
    }

    @Test
    void sweeperIndexesAreAccountScopedSoTheScriptsStayInOneSlot() {
        assertThat(RedisKeys.enqueuePending("a1")).isEqualTo("kiln:{a:a1}:enqueue-pending");
        assertThat(RedisKeys.liveJobs("a1")).isEqualTo("kiln:{a:a1}:live");
        assertThat(RedisKeys.topUpReference("a1", "ab")).isEqualTo("kiln:{a:a1}:topup:ab");
    }

    @Test
    void accountOfReadsTheIdBackFromAnAccountKey() {
        assertThat(RedisKeys.accountOf(RedisKeys.enqueuePending("acme-1"))).isEqualTo("acme-1");
        assertThat(RedisKeys.accountOf("kiln:job-done:img_1")).isNull();
        assertThat(RedisKeys.accountOf("kiln:{a:bad_id}:account")).isNull();
    }

    @Test
    void progressChannelAndKeyShareTheAccountsHashTagButNotTheJobKeysPrefix() {
        assertThat(RedisKeys.jobEvents("a1", "img_1")).isEqualTo("kiln:{a:a1}:job-events:img_1");
        assertThat(RedisKeys.jobProgress("a1", "img_1")).isEqualTo("kiln:{a:a1}:job-progress:img_1");
        assertThat(RedisKeys.jobProgress("a1", "img_1")).doesNotStartWith(RedisKeys.job("a1", "img_1"));
        assertThatThrownBy(() -> RedisKeys.jobEvents("a1", "img:1")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void jobDoneChannelIsNotAccountScoped() {
        assertThat(RedisKeys.jobDoneChannel("img_1")).isEqualTo("kiln:job-done:img_1");
    }

    @Test
    void rejectsAccountIdsThatWouldBreakTheHashTag() {
        assertThatThrownBy(() -> RedisKeys.account("a}b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RedisKeys.account("a_b")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void accountIdsAreOneTo64LettersDigitsOrDashes() {
        assertThat(RedisKeys.isValidAccountId("acme-1")).isTrue();
        assertThat(RedisKeys.isValidAccountId("a".repeat(64))).isTrue();
        assertThat(RedisKeys.isValidAccountId("a".repeat(65))).isFalse();
        assertThat(RedisKeys.isValidAccountId("")).isFalse();
        assertThat(RedisKeys.isValidAccountId(null)).isFalse();
        assertThat(RedisKeys.isValidAccountId("a_b")).isFalse();
        assertThat(RedisKeys.isValidAccountId("ä")).isFalse();
    }

    @Test
    void jobIdsAlsoAllowUnderscores() {
        assertThat(RedisKeys.isValidJobId("img_0123456789abcdef0123456789abcdef")).isTrue();
        assertThat(RedisKeys.isValidJobId("Z-9_z")).isTrue();
        assertThat(RedisKeys.isValidJobId("x".repeat(65))).isFalse();
        assertThat(RedisKeys.isValidJobId("img:1")).isFalse();
        assertThat(RedisKeys.isValidJobId("")).isFalse();
        assertThat(RedisKeys.isValidJobId(null)).isFalse();
    }
}
