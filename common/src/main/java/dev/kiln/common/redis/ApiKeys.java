package dev.kiln.common.redis;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * API keys: {@code kiln_sk_<accountId>_<secret>}. The account id in the clear lets the submit
 * script address the account's Redis slot; only HMAC-SHA256(pepper, key) is ever stored.
 */
public final class ApiKeys {
    public static final String PREFIX = "kiln_sk_";
    private static final int SECRET_BYTES = 32;

    private ApiKeys() {
    }

    /** The account id and secret of a well-formed key. */
    public record ParsedKey(String accountId, String secret) {
        @Override
        public String toString() {
            return "ParsedKey[accountId=" + accountId + ", secret=<redacted>]";
        }
    }

    /** Splits a presented key; empty when it is not of the Kiln format (never throws). */
    public static Optional<ParsedKey> parse(String presented) {
        if (presented == null || !presented.startsWith(PREFIX) || presented.length() > 256) {
            return Optional.empty();
        }
        String rest = presented.substring(PREFIX.length());
        int sep = rest.indexOf('_');
        if (sep <= 0 || sep == rest.length() - 1) {
            return Optional.empty();
        }
        String accountId = rest.substring(0, sep);
        if (!RedisKeys.isValidAccountId(accountId)) {
            return Optional.empty();
        }
        return Optional.of(new ParsedKey(accountId, rest.substring(sep + 1)));
    }

    /** A fresh key for the account (256 random bits, base64url). Show it once, store only its hash. */
    public static String generate(String accountId, SecureRandom random) {
        if (!RedisKeys.isValidAccountId(accountId)) {
            throw new IllegalArgumentException("invalid account id");
        }
        byte[] secret = new byte[SECRET_BYTES];
        random.nextBytes(secret);
        return PREFIX + accountId + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }

    /** HMAC-SHA256(pepper, key) in lower-case hex: the stored identity of a key. */
    public static String hash(byte[] pepper, String key) {
        if (pepper == null || pepper.length == 0) {
            throw new IllegalArgumentException("key pepper must not be empty");
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(pepper, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(key.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
