package dev.kiln.api.redis;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import dev.kiln.api.ApiConfig;
import dev.kiln.common.jobs.JobCompleter;
import dev.kiln.common.redis.KilnScripts;
import dev.kiln.common.redis.RedisConnections;
import dev.kiln.common.redis.ReplicaWait;
import dev.kiln.common.redis.ScriptRunner;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Context;

/**
 * The one Lettuce client of the service: a shared command connection (thread-safe, pipelined)
 * and a pub/sub connection for job-done notifications. Connects lazily so that the service starts
 * (and reports not-ready) while Redis is down.
 */
@ApplicationScoped
public class ApiRedis {
    private static final Logger LOG = Logger.getLogger(ApiRedis.class);

    private final ApiConfig config;
    private final RedisClient client;
    private volatile StatefulRedisConnection<String, String> connection;
    private volatile StatefulRedisPubSubConnection<String, String> pubSub;
    private volatile ScriptRunner scripts;
    private volatile JobCompleter completer;
    private volatile ReplicaWait replicaWait;
    private volatile StatefulRedisConnection<String, String> waitConnection;
    private final Counter waitShortfalls;
    private final AtomicBoolean connecting = new AtomicBoolean();

    public ApiRedis(ApiConfig config, MeterRegistry metrics) {
        this.config = config;
        this.waitShortfalls = Counter.builder("kiln.api.redis.wait.shortfalls")
                .description("WAITs that timed out with fewer replicas acknowledging than kiln.api.redis.wait-replicas")
                .register(metrics);
        // Creating the client does not connect; other beans' startup observers may use it in any order.
        this.client = RedisConnections.client(config.redis().uri(), config.redis().timeout().toMillis());
    }

    void onStart(@Observes StartupEvent event) {
        try {
            commands();
        } catch (RuntimeException e) {
            LOG.warnf("Redis not reachable at startup (%s); will retry on first use", e.getMessage());
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        if (pubSub != null) {
            pubSub.close();
        }
        if (connection != null) {
            connection.close();
        }
        if (waitConnection != null) {
            waitConnection.close();
        }
        client.shutdown(100, 2000, TimeUnit.MILLISECONDS);
    }

    /**
     * Async commands on the shared connection; connects on first use. Once connected, Lettuce
     * reconnects by itself after an outage (commands are rejected at once meanwhile). Before the first
     * connection, a call from an event-loop thread never blocks: it starts a connection attempt in the
     * background and fails with {@link RedisConnectionException}, which callers answer with 503.
     */
    public RedisAsyncCommands<String, String> commands() {
        StatefulRedisConnection<String, String> c = connection;
        if (c == null) {
            if (Context.isOnEventLoopThread()) {
                connectInBackground();
                throw new RedisConnectionException("not connected to Redis yet");
            }
            synchronized (this) {
                if (connection == null) {
                    connection = client.connect();
                    scripts = new ScriptRunner(connection.async());
                    completer = new JobCompleter(scripts, config.ledger().maxEntries());
                    scripts.preload(KilnScripts.SUBMIT, KilnScripts.SETTLE, KilnScripts.AUTHENTICATE);
                }
                c = connection;
            }
        }
        return c.async();
    }

    private void connectInBackground() {
        if (!connecting.compareAndSet(false, true)) {
            return;
        }
        Thread t = new Thread(() -> {
            try {
                commands();
            } catch (RuntimeException e) {
                LOG.debugf("Redis connection attempt failed: %s", e.getMessage());
            } finally {
                connecting.set(false);
            }
        }, "kiln-redis-connect");
        t.setDaemon(true);
        t.start();
    }

    public ScriptRunner scripts() {
        commands();
        return scripts;
    }

    public JobCompleter completer() {
        commands();
        return completer;
    }

    /**
     * Waits (bounded) until {@code kiln.api.redis.wait-replicas} replicas hold every write completed
     * before the call: use it after a money-changing write and before answering. Waits for nothing when
     * the setting is 0. Its WAITs run on a connection of their own (see {@link ReplicaWait}).
     */
    public ReplicaWait replicaWait() {
        ReplicaWait w = replicaWait;
        if (w == null) {
            synchronized (this) {
                if (replicaWait == null) {
                    replicaWait = newReplicaWait();
                }
                w = replicaWait;
            }
        }
        return w;
    }

    private ReplicaWait newReplicaWait() {
        ApiConfig.Redis redis = config.redis();
        if (redis.waitReplicas() == 0) {
            return ReplicaWait.disabled();
        }
        waitConnection = client.connect();
        return new ReplicaWait(waitConnection.async(), redis.waitReplicas(), redis.waitTimeout(),
                acked -> {
                    waitShortfalls.increment();
                    LOG.warnf("only %d of %d Redis replicas acknowledged within %d ms; a failover now could lose "
                            + "the latest money writes", acked, redis.waitReplicas(), redis.waitTimeout().toMillis());
                });
    }

    /** A dedicated pub/sub connection (subscribers cannot issue ordinary commands). */
    public synchronized StatefulRedisPubSubConnection<String, String> pubSub() {
        if (pubSub == null) {
            pubSub = client.connectPubSub();
        }
        return pubSub;
    }
}
