package dev.kiln.api.images;

import java.time.Duration;

import dev.kiln.common.redis.RedisKeys;

/**
 * Whether and how a submission may repeat an earlier one, decided from its headers: by its
 * {@code Idempotency-Key}, or as an automatic retry of an OpenAI SDK (which sends no key but counts its
 * attempts in {@code x-stainless-retry-count}). The submit script looks the earlier job up and records
 * this one in the same round trip that admits it.
 *
 * @param kind what the headers asked for
 * @param keyHash SHA-256 of the Idempotency-Key ({@link Kind#IDEMPOTENCY_KEY} only)
 */
public record Deduplication(Kind kind, String keyHash) {

    /** How the submit script treats an earlier request with the same record. */
    public enum Kind {
        /** No lookup, no record: a plain request. */
        NONE,
        /** Replays the job of the key's first use, whatever became of it; a different body is a conflict. */
        IDEMPOTENCY_KEY,
        /** An SDK's first attempt: no lookup, but recorded so that its retries find it. */
        SDK_FIRST_ATTEMPT,
        /** An SDK's automatic retry: replays the earlier job unless it failed or expired (refunded). */
        SDK_RETRY
    }

    private static final Deduplication NONE = new Deduplication(Kind.NONE, null);

    /** From the {@code Idempotency-Key} and {@code x-stainless-retry-count} headers (either may be null). */
    public static Deduplication of(String idempotencyKey, String sdkRetryCount) {
        if (IdempotencyKeys.present(idempotencyKey)) {
            return new Deduplication(Kind.IDEMPOTENCY_KEY, IdempotencyKeys.hash(idempotencyKey));
        }
        if (sdkRetryCount == null || sdkRetryCount.isBlank()) {
            return NONE;
        }
        int attempt;
        try {
            attempt = Integer.parseInt(sdkRetryCount.trim());
        } catch (NumberFormatException e) {
            return NONE;
        }
        return new Deduplication(attempt >= 1 ? Kind.SDK_RETRY : Kind.SDK_FIRST_ATTEMPT, null);
    }

    /** The request's canonical fingerprint is needed: the cost of hashing an input image is paid only then. */
    public boolean needsFingerprint() {
        return kind != Kind.NONE;
    }

    /** KEYS[7] of the submit script: the record this request is looked up and stored under. */
    public String recordKey(String accountId, String fingerprint) {
        return switch (kind) {
            // Ignored by the script; "none" keeps the key in the account's slot.
            case NONE -> RedisKeys.idempotency(accountId, "none");
            case IDEMPOTENCY_KEY -> RedisKeys.idempotency(accountId, keyHash);
            case SDK_FIRST_ATTEMPT, SDK_RETRY -> RedisKeys.idempotency(accountId, "sdk-" + fingerprint);
        };
    }

    /** ARGV[6] of the submit script (see its header). */
    public String scriptArgument(String fingerprint) {
        return switch (kind) {
            case NONE -> "";
            case IDEMPOTENCY_KEY -> fingerprint;
            case SDK_FIRST_ATTEMPT -> "sdk-record:" + fingerprint;
            case SDK_RETRY -> "sdk-retry:" + fingerprint;
        };
    }

    /** How long the record is kept. */
    public Duration recordTtl(Duration idempotencyTtl, Duration sdkRetryWindow) {
        return kind == Kind.IDEMPOTENCY_KEY ? idempotencyTtl : sdkRetryWindow;
    }

    /**
     * Whether a failed hand-off must drop the record so that a retry gets a fresh attempt: an
     * Idempotency-Key replays whatever its job became, SDK retries skip refunded jobs by themselves.
     */
    public boolean forgetsFailedHandOff() {
        return kind == Kind.IDEMPOTENCY_KEY;
    }
}
