package dev.kiln.api.images;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The {@code Idempotency-Key} header: whether a request carries one, and the hash it is stored under. */
public final class IdempotencyKeys {
    private IdempotencyKeys() {
    }

    /** An absent or empty Idempotency-Key header: the request is not idempotent. */
    public static boolean present(String idempotencyKey) {
        return idempotencyKey != null && !idempotencyKey.isEmpty();
    }

    /** SHA-256 hex of the key: the stored record never holds the client's value itself. */
    public static String hash(String idempotencyKey) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(idempotencyKey.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
