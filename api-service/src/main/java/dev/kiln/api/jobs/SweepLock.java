package dev.kiln.api.jobs;

import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import dev.kiln.common.redis.KilnScripts;
import dev.kiln.common.redis.RedisKeys;
import dev.kiln.common.redis.ScriptRunner;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.async.RedisAsyncCommands;

/**
 * A Redis lock with a TTL ({@code SET NX PX}) so that one API instance sweeps at a time. The lock only
 * saves duplicate work: every settlement the sweeper makes goes through settle.lua, which settles a job
 * once however many instances try, and the ledger mirror is at-least-once anyway. A holder that dies
 * frees it when the TTL passes.
 */
public final class SweepLock {
    private final String key;
    private final String token = UUID.randomUUID().toString();
    private final long ttlMillis;
    private final long callTimeoutMillis;

    public SweepLock(String key, long ttlMillis, long callTimeoutMillis) {
        this.key = key;
        this.ttlMillis = ttlMillis;
        this.callTimeoutMillis = callTimeoutMillis;
    }

    static SweepLock sweeper(long ttlMillis, long callTimeoutMillis) {
        return new SweepLock(RedisKeys.SWEEPER_LOCK, ttlMillis, callTimeoutMillis);
    }

    /** True when this instance now holds the lock (taken fresh, or still its own from an earlier run). */
    public boolean tryAcquire(RedisAsyncCommands<String, String> redis) throws Exception {
        if ("OK".equals(get(redis.set(key, token, SetArgs.Builder.nx().px(ttlMillis))))) {
            return true;
        }
        return token.equals(get(redis.get(key))) && Boolean.TRUE.equals(get(redis.pexpire(key, ttlMillis)));
    }

    /** Frees the lock if this instance still holds it, so any instance may take the next sweep. */
    public void release(ScriptRunner scripts) throws Exception {
        get(scripts.run(KilnScripts.RELEASE_LOCK, new String[] { key }, token));
    }

    private <T> T get(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(callTimeoutMillis + 1000, TimeUnit.MILLISECONDS);
    }
}
