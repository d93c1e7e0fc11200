package dev.kiln.common.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;

import java.time.Duration;

/**
 * Builds Lettuce clients the way Kiln needs them: every command (sync or async) times out, and
 * connects time out too, so no caller waits on Redis forever.
 */
public final class RedisConnections {
    private RedisConnections() {
    }

    /**
     * @param uri           e.g. {@code redis://localhost:6379}
     * @param timeoutMillis per-command and connect timeout
     */
    public static RedisClient client(String uri, long timeoutMillis) {
        Duration timeout = Duration.ofMillis(timeoutMillis);
        RedisURI redisUri = RedisURI.create(uri);
        redisUri.setTimeout(timeout);
        RedisClient client = RedisClient.create(redisUri);
        client.setOptions(ClientOptions.builder()
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .socketOptions(SocketOptions.builder().connectTimeout(timeout).build())
                // Fail fast instead of buffering commands without bound while disconnected.
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(100_000)
                .build());
        return client;
    }
}
