package dev.kiln.common.redis;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongConsumer;

import io.lettuce.core.api.async.RedisAsyncCommands;

/**
 * Bounded {@code WAIT <replicas> <timeout>} after money-changing writes, so an answer (a 202, a Kafka
 * ack after settle) goes out only once a replica holds the write, and a failover to that replica
 * cannot lose it.
 *
 * <p>
 * {@code WAIT} blocks the connection it runs on and counts only that connection's writes. Running it
 * on the shared, pipelined command connection would stall every other command for a replica round trip,
 * so it runs on a connection of its own: each round first writes a tick ({@code INCR}
 * {@value #TICK_KEY}), whose replication offset is at or beyond every write any connection completed
 * before it, then waits for that offset. Callers that ask while a round is in flight join the next one,
 * so at most one round is in flight and each round covers every write completed before it started
 * (group commit): under load a round costs one tick and one WAIT for many callers.
 *
 * <p>
 * Never fails its caller: the write already happened on the primary and cannot be taken back, so the
 * stage completes with the number of replicas that acknowledged (0 on a Redis error), and a shortfall is
 * reported to {@code onShortfall} (log it, count it). With {@code replicas == 0} it sends nothing.
 */
public final class ReplicaWait {
    /** The key each round increments: a write every connection's earlier writes precede in the replication stream. */
    public static final String TICK_KEY = "kiln:replication-tick";

    private final RedisAsyncCommands<String, String> dedicated;
    private final int replicas;
    private final long timeoutMillis;
    private final LongConsumer onShortfall;
    private final Object lock = new Object();
    private CompletableFuture<Long> nextRound;
    private boolean roundInFlight;

    /**
     * @param dedicated a connection used for nothing else (WAIT blocks it); its command timeout must
     *        exceed {@code timeout}
     * @param replicas replicas that must acknowledge; 0 disables waiting
     * @param timeout bound on one WAIT
     * @param onShortfall called with the acknowledged count when it is below {@code replicas}
     */
    public ReplicaWait(RedisAsyncCommands<String, String> dedicated, int replicas, Duration timeout,
            LongConsumer onShortfall) {
        if (replicas < 0) {
            throw new IllegalArgumentException("replicas must be >= 0");
        }
        this.dedicated = dedicated;
        this.replicas = replicas;
        this.timeoutMillis = Math.max(1, timeout.toMillis());
        this.onShortfall = onShortfall;
    }

    /** Waits for nothing. */
    public static ReplicaWait disabled() {
        return new ReplicaWait(null, 0, Duration.ofMillis(1), acked -> {
        });
    }

    public boolean enabled() {
        return replicas > 0;
    }

    /**
     * Completes once a round started after this call was made has been acknowledged by
     * {@code replicas} replicas or has timed out; the value is the acknowledged count.
     */
    public CompletionStage<Long> afterWrites() {
        if (replicas == 0) {
            return CompletableFuture.completedFuture(0L);
        }
        CompletableFuture<Long> mine;
        synchronized (lock) {
            if (nextRound == null) {
                nextRound = new CompletableFuture<>();
            }
            mine = nextRound;
            if (!roundInFlight) {
                startRound();
            }
        }
        return mine;
    }

    /** Under {@link #lock}. */
    private void startRound() {
        CompletableFuture<Long> round = nextRound;
        nextRound = null;
        roundInFlight = true;
        CompletionStage<Long> acked;
        try {
            acked = dedicated.incr(TICK_KEY).thenCompose(tick -> dedicated.waitForReplication(replicas, timeoutMillis));
        } catch (RuntimeException rejected) {
            acked = CompletableFuture.failedFuture(rejected);
        }
        acked.whenComplete((count, error) -> {
            long n = error == null && count != null ? count : 0L;
            if (n < replicas) {
                onShortfall.accept(n);
            }
            round.complete(n);
            synchronized (lock) {
                roundInFlight = false;
                if (nextRound != null) {
                    startRound();
                }
            }
        });
    }
}
