package dev.kiln.api.billing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.kiln.api.auth.PresentedKey;
import dev.kiln.api.redis.ApiRedis;
import dev.kiln.api.support.Kiln;
import dev.kiln.common.jobs.JobJson;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.common.redis.KilnScripts;
import dev.kiln.common.redis.RedisKeys;
import dev.kiln.common.redis.ScriptRunner;
import dev.kiln.devstack.quarkus.DevStackTestResource;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The ledger stream is bounded: every append trims it to about {@code kiln.api.ledger.max-entries}
 * ({@code XADD MAXLEN ~}). Run against the real Redis with the top-up and submit scripts and a small bound.
 */
@QuarkusTest
@QuarkusTestResource(DevStackTestResource.class)
class LedgerTrimTest {
    private static final int KEPT = 10;
    private static final int APPENDED = 500;

    @Inject
    ApiRedis redis;

    @Test
    void appendsTrimTheLedgerToAboutTheConfiguredLengthKeepingTheNewestEntries() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 0);
        String[] keys = { RedisKeys.account(a.id()), RedisKeys.ledger(a.id()), RedisKeys.topUpReference(a.id(), "none") };
        for (int i = 1; i <= APPENDED; i++) {
            redis.scripts().run(KilnScripts.TOP_UP, keys, "1", "0", "1", "", Integer.toString(KEPT))
                    .toCompletableFuture().get(5, TimeUnit.SECONDS);
        }

        long length = Kiln.redis().xlen(RedisKeys.ledger(a.id()));
        // Approximate trimming removes whole stream nodes (100 entries each by default): never below the bound.
        assertThat(length).isBetween((long) KEPT, (long) KEPT + 100);
        var newest = Kiln.redis().xrevrange(RedisKeys.ledger(a.id()), Range.create("-", "+"), Limit.from(1)).get(0);
        assertThat(newest.getBody()).containsEntry("balance_after_micros", Integer.toString(APPENDED));
        assertThat(a.balanceMicros()).isEqualTo(APPENDED);
    }

    @Test
    void reservationsTrimTheLedgerToo() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 1_000_000);
        PresentedKey key = PresentedKey.from(a.bearer(), Kiln.config("kiln.api.key-pepper"));
        for (int i = 1; i <= APPENDED; i++) {
            String jobId = "img_trim_" + i;
            JobSpec spec = new JobSpec(JobSpec.SCHEMA_VERSION, jobId, a.id(), JobSpec.MODE_TXT2IMG, "m", "p", null, 1,
                    64, 64, 1, 1.0, null, 1L, "pndm", null, 0L, 0L);
            String[] keys = { RedisKeys.account(a.id()), RedisKeys.apiKey(a.id(), key.keyHash()),
                    RedisKeys.rateLimit(a.id(), RedisKeys.RL_REQUESTS, key.keyHash()),
                    RedisKeys.rateLimit(a.id(), RedisKeys.RL_IMAGES, key.keyHash()), RedisKeys.job(a.id(), jobId),
                    RedisKeys.ledger(a.id()), RedisKeys.idempotency(a.id(), "none") };
            List<Object> reply = redis.scripts().run(KilnScripts.SUBMIT, keys, jobId, "1", "1", JobJson.toJson(spec),
                    "m", "", "60", "60", "60000", Integer.toString(KEPT), "t", "t", "100000", "100000")
                    .toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertThat(ScriptRunner.str(reply, 0)).isEqualTo("ok");
        }

        assertThat(Kiln.redis().xlen(RedisKeys.ledger(a.id()))).isBetween((long) KEPT, (long) KEPT + 100);
        assertThat(a.reservedMicros()).isEqualTo(APPENDED);
    }
}
