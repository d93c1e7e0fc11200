package dev.kiln.api.auth;

import dev.kiln.api.ratelimit.RateLimitSnapshot;

/** An authenticated API caller: account, the hash of the key used, its tier and limits. */
public record Caller(String accountId, String keyHash, String tier, String plan, RateLimitSnapshot limits) {
}
