package dev.kiln.common.redis;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;

/**
 * Runs {@link LuaScript}s with EVALSHA and falls back to EVAL (which also caches the script) when
 * Redis answers NOSCRIPT, e.g. after a restart or a SCRIPT FLUSH. Timeouts are those of the
 * connection (see {@link RedisConnections}).
 */
public final class ScriptRunner {
    private final RedisAsyncCommands<String, String> redis;

    public ScriptRunner(RedisAsyncCommands<String, String> redis) {
        this.redis = redis;
    }

    /** Evaluates a script returning a Lua table; elements are Strings, Longs or nested Lists. */
    public CompletionStage<List<Object>> run(LuaScript script, String[] keys, String... args) {
        CompletionStage<List<Object>> first = redis.evalsha(script.sha1(), ScriptOutputType.MULTI, keys, args);
        return first.handle((result, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(result);
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null
                    ? error.getCause()
                    : error;
            if (cause instanceof RedisNoScriptException
                    || (cause.getMessage() != null && cause.getMessage().startsWith("NOSCRIPT"))) {
                return redis.<List<Object>> eval(script.source(), ScriptOutputType.MULTI, keys, args)
                        .toCompletableFuture();
            }
            return CompletableFuture.<List<Object>> failedFuture(cause);
        }).thenCompose(stage -> stage);
    }

    /** Pre-loads scripts so the first EVALSHA does not pay for a NOSCRIPT miss. */
    public CompletionStage<Void> preload(LuaScript... scripts) {
        CompletableFuture<?>[] loads = new CompletableFuture<?>[scripts.length];
        for (int i = 0; i < scripts.length; i++) {
            loads[i] = redis.scriptLoad(scripts[i].source()).toCompletableFuture();
        }
        return CompletableFuture.allOf(loads);
    }

    /** Element {@code i} of a script reply as a String ("" when absent). */
    public static String str(List<Object> reply, int i) {
        if (reply == null || i >= reply.size() || reply.get(i) == null) {
            return "";
        }
        Object v = reply.get(i);
        if (v instanceof byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
        return v.toString();
    }

    /** Element {@code i} of a script reply as a long (0 when absent). */
    public static long num(List<Object> reply, int i) {
        String s = str(reply, i);
        return s.isEmpty() ? 0L : Long.parseLong(s);
    }
}
