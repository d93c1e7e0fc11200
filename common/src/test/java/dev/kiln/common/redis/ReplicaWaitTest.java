package dev.kiln.common.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kiln.devstack.process.Polling;
import dev.kiln.devstack.redis.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;

/** {@link ReplicaWait} against a real primary with a real replica (two redis-server processes). */
class ReplicaWaitTest {
    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration WAIT_TIMEOUT = Duration.ofMillis(500);

    @TempDir
    static Path dir;
    private static RedisServer primary;
    private static RedisServer replica;
    private static RedisClient client;
    private static RedisClient replicaClient;
    private static StatefulRedisConnection<String, String> writes;
    private static StatefulRedisConnection<String, String> waits;
    private static StatefulRedisConnection<String, String> onReplica;

    @BeforeAll
    static void primaryWithOneReplica() {
        primary = RedisServer.start(dir.resolve("primary"), START);
        replica = RedisServer.start(dir.resolve("replica"), START);
        client = RedisConnections.client(primary.uri(), 5000);
        writes = client.connect();
        waits = client.connect();
        replicaClient = RedisConnections.client(replica.uri(), 5000);
        onReplica = replicaClient.connect();
        onReplica.sync().replicaof("127.0.0.1", primary.port());
        Polling.await("replica in sync", START, () -> true,
                () -> onReplica.sync().info("replication").contains("master_link_status:up"));
    }

    @AfterAll
    static void stop() {
        client.shutdown();
        replicaClient.shutdown();
        replica.close();
        primary.close();
    }

    @Test
    void completesOnceTheReplicaHoldsEveryEarlierWriteOfAnyConnection() throws Exception {
        writes.sync().set("kiln:test:wallet", "42");
        ReplicaWait wait = new ReplicaWait(waits.async(), 1, WAIT_TIMEOUT, acked -> {
        });

        long acked = wait.afterWrites().toCompletableFuture().get(5, TimeUnit.SECONDS);

        assertThat(acked).isEqualTo(1);
        assertThat(onReplica.sync().get("kiln:test:wallet")).isEqualTo("42");
    }

    @Test
    void reportsAShortfallWhenFewerReplicasAcknowledgeThanRequired() throws Exception {
        List<Long> shortfalls = new CopyOnWriteArrayList<>();
        ReplicaWait wait = new ReplicaWait(waits.async(), 2, WAIT_TIMEOUT, shortfalls::add);

        long acked = wait.afterWrites().toCompletableFuture().get(5, TimeUnit.SECONDS);

        assertThat(acked).isEqualTo(1);
        assertThat(shortfalls).containsExactly(1L);
    }

    @Test
    void everyConcurrentCallerIsAnsweredAndCoveredByARound() throws Exception {
        ReplicaWait wait = new ReplicaWait(waits.async(), 1, WAIT_TIMEOUT, acked -> {
        });
        List<CompletableFuture<Long>> calls = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            writes.sync().set("kiln:test:k" + i, Integer.toString(i));
            calls.add(wait.afterWrites().toCompletableFuture());
        }
        for (int i = 0; i < 50; i++) {
            assertThat(calls.get(i).get(5, TimeUnit.SECONDS)).isEqualTo(1);
        }
        assertThat(onReplica.sync().get("kiln:test:k49")).isEqualTo("49");
    }

    @Test
    void disabledWaitsForNothing() throws Exception {
        assertThat(ReplicaWait.disabled().afterWrites().toCompletableFuture().get(1, TimeUnit.SECONDS)).isZero();
        assertThat(ReplicaWait.disabled().enabled()).isFalse();
    }
}
