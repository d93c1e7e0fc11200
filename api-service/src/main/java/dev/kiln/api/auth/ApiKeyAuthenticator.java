package dev.kiln.api.auth;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.errors.ApiException;
import dev.kiln.api.ratelimit.RateLimitSnapshot;
import dev.kiln.api.ratelimit.TierTable;
import dev.kiln.api.redis.ApiRedis;
import dev.kiln.api.redis.RedisCalls;
import dev.kiln.common.redis.KilnScripts;
import dev.kiln.common.redis.RedisKeys;
import dev.kiln.common.redis.ScriptRunner;

/**
 * Authenticates requests other than accepted submissions (which authenticate inside the submit
 * script), including submissions refused by validation: one read-only script call that also reports
 * the key's rate-limit state for the headers.
 */
@ApplicationScoped
public class ApiKeyAuthenticator {
    private final ApiConfig config;
    private final ApiRedis redis;
    private final TierTable tiers;

    public ApiKeyAuthenticator(ApiConfig config, ApiRedis redis, TierTable tiers) {
        this.config = config;
        this.redis = redis;
        this.tiers = tiers;
    }

    /** Blocking (worker thread): returns the caller or throws 401/503. */
    public Caller authenticate(String authorization) {
        return RedisCalls.await(authenticateAsync(authorization), config.redis().timeout());
    }

    /** Non-blocking: the caller, or a stage failed with a 401 or 503 {@link ApiException}. */
    public CompletionStage<Caller> authenticateAsync(String authorization) {
        PresentedKey key;
        try {
            key = PresentedKey.from(authorization, config.keyPepper());
        } catch (RuntimeException unauthenticated) {
            return CompletableFuture.failedFuture(unauthenticated);
        }
        String a = key.accountId();
        String[] keys = { RedisKeys.account(a), RedisKeys.apiKey(a, key.keyHash()),
                RedisKeys.rateLimit(a, RedisKeys.RL_REQUESTS, key.keyHash()),
                RedisKeys.rateLimit(a, RedisKeys.RL_IMAGES, key.keyHash()) };
        List<String> args = new ArrayList<>();
        args.add(Long.toString(tiers.windowMillis()));
        args.add(tiers.defaultTier());
        args.addAll(tiers.argv());
        return RedisCalls.async(() -> redis.scripts().run(KilnScripts.AUTHENTICATE, keys, args.toArray(String[]::new)))
                .thenApply(reply -> {
                    if (!"ok".equals(ScriptRunner.str(reply, 0))) {
                        throw PresentedKey.unauthenticated("Incorrect API key provided.");
                    }
                    return new Caller(a, key.keyHash(), ScriptRunner.str(reply, 1), ScriptRunner.str(reply, 2),
                            RateLimitSnapshot.fromScriptReply(reply));
                });
    }

}
