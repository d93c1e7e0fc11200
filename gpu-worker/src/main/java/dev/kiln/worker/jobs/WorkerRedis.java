package dev.kiln.worker.jobs;

import java.time.Duration;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.kiln.common.jobs.JobCompleter;
import dev.kiln.common.redis.KilnScripts;
import dev.kiln.common.redis.RedisConnections;
import dev.kiln.common.redis.ReplicaWait;
import dev.kiln.common.redis.ScriptRunner;
import dev.kiln.worker.config.WorkerConfig;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;

/**
 * The worker's one Redis connection (Lettuce multiplexes it; every command times out) and the
 * {@link JobCompleter} on top of it: the only way the worker changes job records.
 */
@ApplicationScoped
public class WorkerRedis {
    private static final Logger LOG = Logger.getLogger(WorkerRedis.class);

    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final JobCompleter completer;
    private final Duration timeout;
    private final StatefulRedisConnection<String, String> waitConnection;
    private final ReplicaWait replicaWait;

    public WorkerRedis(WorkerConfig config) {
        this.timeout = config.redis().timeout();
        this.client = RedisConnections.client(config.redis().uri(), timeout.toMillis());
        // Lettuce reconnects on its own; connecting lazily would only hide a wrong URI until the first job.
        this.connection = client.connect();
        ScriptRunner scripts = new ScriptRunner(connection.async());
        scripts.preload(KilnScripts.MARK_RUNNING, KilnScripts.SETTLE).exceptionally(e -> {
            LOG.warnf("could not preload Lua scripts (EVALSHA falls back to EVAL): %s", e.getMessage());
            return null;
        });
        this.completer = new JobCompleter(scripts, config.ledger().maxEntries());
        WorkerConfig.Redis redis = config.redis();
        // WAIT blocks its connection, so it gets one of its own (see ReplicaWait).
        this.waitConnection = redis.waitReplicas() > 0 ? client.connect() : null;
        this.replicaWait = waitConnection == null ? ReplicaWait.disabled()
                : new ReplicaWait(waitConnection.async(), redis.waitReplicas(), redis.waitTimeout(),
                        acked -> LOG.warnf("only %d of %d Redis replicas acknowledged a settlement within %d ms",
                                acked, redis.waitReplicas(), redis.waitTimeout().toMillis()));
    }

    public JobCompleter completer() {
        return completer;
    }

    /** Bounded wait until the configured replicas hold every settlement made so far (no-op without replicas). */
    public ReplicaWait replicaWait() {
        return replicaWait;
    }

    /** Plain commands on the same connection (progress messages); every command times out. */
    public RedisAsyncCommands<String, String> commands() {
        return connection.async();
    }

    /** Bound on waiting for one Redis call (a little above the command timeout Lettuce enforces). */
    public Duration callTimeout() {
        return timeout.plusMillis(500);
    }

    @PreDestroy
    void close() {
        if (waitConnection != null) {
            waitConnection.close();
        }
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
