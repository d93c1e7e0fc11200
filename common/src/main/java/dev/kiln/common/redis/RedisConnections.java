package dev.kiln.common.redis;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.metrics.CommandLatencyRecorder;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;

/**
 * Builds Lettuce clients the way Kiln needs them: every command (sync or async) times out, and
 * connects time out too, so no caller waits on Redis forever. Lettuce's built-in command latency
 * recorder is off: it switches itself on whenever LatencyUtils is on the classpath (Micrometer brings
 * it), nothing reads it, and it costs a histogram update per command on the hot submit path.
 */
public final class RedisConnections {
    private RedisConnections() {
    }

    /**
     * @param uri e.g. {@code redis://localhost:6379}
     * @param timeoutMillis per-command and connect timeout
     */
    public static RedisClient client(String uri, long timeoutMillis) {
        Duration timeout = Duration.ofMillis(timeoutMillis);
        RedisURI redisUri = RedisURI.create(uri);
        redisUri.setTimeout(timeout);
        ClientResources resources = DefaultClientResources.builder()
                .commandLatencyRecorder(CommandLatencyRecorder.disabled()).build();
        RedisClient client = new ResourceOwningClient(resources, redisUri);
        client.setOptions(ClientOptions.builder()
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .socketOptions(SocketOptions.builder().connectTimeout(timeout).build())
                // Fail fast instead of buffering commands without bound while disconnected.
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(100_000)
                .build());
        return client;
    }

    /** Shuts its resources down with it, as a client from {@code RedisClient.create(uri)} does. */
    private static final class ResourceOwningClient extends RedisClient {
        ResourceOwningClient(ClientResources resources, RedisURI uri) {
            super(resources, uri);
        }

        @Override
        public CompletableFuture<Void> shutdownAsync(long quietPeriod, long timeout, TimeUnit timeUnit) {
            return super.shutdownAsync(quietPeriod, timeout, timeUnit).thenCompose(v -> {
                CompletableFuture<Void> released = new CompletableFuture<>();
                getResources().shutdown(quietPeriod, timeout, timeUnit).addListener(f -> released.complete(null));
                return released;
            });
        }
    }
}
