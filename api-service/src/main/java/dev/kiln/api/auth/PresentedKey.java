package dev.kiln.api.auth;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import dev.kiln.api.errors.ApiException;
import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.errors.ErrorType;
import dev.kiln.common.redis.ApiKeys;

/** A well-formed key from {@code Authorization: Bearer}, reduced to what is safe to keep: account and hash. */
public record PresentedKey(String accountId, String keyHash) {

    /** Parses the header and hashes the key; 401 when absent or not a Kiln key. Never logs the key. */
    public static PresentedKey from(String authorization, String pepper) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw unauthenticated("Missing API key. Send it as 'Authorization: Bearer <key>'.");
        }
        String key = authorization.substring(7).trim();
        ApiKeys.ParsedKey parsed = ApiKeys.parse(key)
                .orElseThrow(() -> unauthenticated("Incorrect API key provided."));
        return new PresentedKey(parsed.accountId(), ApiKeys.hash(pepper.getBytes(StandardCharsets.UTF_8), key));
    }

    public static ApiException unauthenticated(String message) {
        return new ApiException(ErrorType.AUTHENTICATION, message, null, ErrorCodes.INVALID_API_KEY,
                Map.of("WWW-Authenticate", "Bearer"));
    }
}
