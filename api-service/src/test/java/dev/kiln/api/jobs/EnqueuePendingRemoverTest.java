package dev.kiln.api.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.kiln.api.redis.ApiRedis;
import dev.kiln.api.support.Kiln;
import dev.kiln.common.redis.RedisKeys;
import dev.kiln.devstack.quarkus.DevStackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Batched removal of enqueue-pending entries against the real Redis. The flush delay is an hour, so
 * nothing is sent until the test flushes or the buffer fills: no timing involved.
 */
@QuarkusTest
@QuarkusTestResource(DevStackTestResource.class)
class EnqueuePendingRemoverTest {
    private static final long NEVER_MILLIS = TimeUnit.HOURS.toMillis(1);

    @Inject
    ApiRedis redis;

    @Test
    void holdsRemovalsUntilTheFlushThenRemovesThemForEveryAccount() throws Exception {
        EnqueuePendingRemover remover = new EnqueuePendingRemover(redis, NEVER_MILLIS, 1000, 5000);
        String a = pendingAccount(40);
        String b = pendingAccount(25);
        for (int i = 0; i < 40; i++) {
            remover.remove(a, "j" + i);
        }
        for (int i = 0; i < 25; i++) {
            remover.remove(b, "j" + i);
        }

        assertThat(pending(a)).as("nothing sent before the flush").isEqualTo(40);
        remover.flush().get(10, TimeUnit.SECONDS);

        assertThat(pending(a)).isZero();
        assertThat(pending(b)).isZero();
    }

    @Test
    void flushesAtOnceWhenTheBufferIsFull() {
        EnqueuePendingRemover remover = new EnqueuePendingRemover(redis, NEVER_MILLIS, 10, 5000);
        String a = pendingAccount(11);
        for (int i = 0; i < 11; i++) {
            remover.remove(a, "j" + i);
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> pending(a) == 1);
    }

    @Test
    void removesAnEntryRightAwayWhenAskedToRemoveNow() {
        EnqueuePendingRemover remover = new EnqueuePendingRemover(redis, NEVER_MILLIS, 10, 5000);
        String a = pendingAccount(2);

        remover.removeNow(a, "j0");

        await().atMost(Duration.ofSeconds(10)).until(() -> pending(a) == 1);
        assertThat(Kiln.redis().zscore(RedisKeys.enqueuePending(a), "j1")).isNotNull();
    }

    /** A fresh account id whose enqueue-pending set holds jobs j0 … j(count-1). */
    private static String pendingAccount(int count) {
        String account = "t" + UUID.randomUUID().toString().substring(0, 8);
        for (int i = 0; i < count; i++) {
            Kiln.redis().zadd(RedisKeys.enqueuePending(account), i, "j" + i);
        }
        return account;
    }

    private static long pending(String account) {
        return Kiln.redis().zcard(RedisKeys.enqueuePending(account));
    }
}
