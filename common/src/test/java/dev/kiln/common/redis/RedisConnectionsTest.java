package dev.kiln.common.redis;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.lettuce.core.RedisClient;
import io.lettuce.core.resource.ClientResources;

/** How {@link RedisConnections} builds clients; no server needed (nothing connects). */
class RedisConnectionsTest {

    @Test
    void commandLatencyRecorderIsOffEvenWithLatencyUtilsOnTheClasspath() throws Exception {
        // The premise: LatencyUtils is on the test classpath, so Lettuce's default would record.
        Class.forName("org.LatencyUtils.LatencyStats");
        RedisClient client = RedisConnections.client("redis://127.0.0.1:1", 1000);
        try {
            assertThat(client.getResources().commandLatencyRecorder().isEnabled()).isFalse();
        } finally {
            client.shutdown();
        }
    }

    @Test
    void shuttingTheClientDownReleasesItsResources() {
        RedisClient client = RedisConnections.client("redis://127.0.0.1:1", 1000);
        ClientResources resources = client.getResources();

        client.shutdown();

        assertThat(resources.eventExecutorGroup().isShutdown()).isTrue();
    }
}
