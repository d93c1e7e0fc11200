package dev.kiln.worker.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import dev.kiln.worker.storage.StorageUnavailableException;
import io.lettuce.core.RedisConnectionException;

class RetrierTest {
    private final List<Long> pauses = new ArrayList<>();
    private final Retrier retrier = new Retrier(4, 100, 250, pauses::add);

    @Test
    void retriesAnOutageWithDoublingBackoffUntilItSucceeds() throws Exception {
        AtomicInteger calls = new AtomicInteger();

        String result = retrier.call("op", () -> {
            if (calls.incrementAndGet() < 4) {
                throw new RedisConnectionException("down");
            }
            return "ok";
        });

        assertThat(result).isEqualTo("ok");
        assertThat(pauses).containsExactly(100L, 200L, 250L);
    }

    @Test
    void givesUpAfterTheBound() {
        AtomicInteger calls = new AtomicInteger();

        assertThatThrownBy(() -> retrier.call("op", () -> {
            calls.incrementAndGet();
            throw new StorageUnavailableException("down", null);
        })).isInstanceOf(RetriesExhaustedException.class);
        assertThat(calls).hasValue(4);
    }

    @Test
    void doesNotRetryAFailureOfTheJobItself() {
        AtomicInteger calls = new AtomicInteger();

        assertThatThrownBy(() -> retrier.call("op", () -> {
            calls.incrementAndGet();
            throw new IllegalArgumentException("bad input");
        })).isInstanceOf(IllegalArgumentException.class);
        assertThat(calls).hasValue(1);
        assertThat(pauses).isEmpty();
    }
}
