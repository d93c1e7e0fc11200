package dev.kiln.common.redis;

/**
 * Redis key layout (see docs/contracts.md). Every key of an account carries the hash tag
 * {@code {a:<accountId>}}, so all keys one script touches live in one Redis Cluster slot.
 */
public final class RedisKeys {
    private static final int MAX_ID_LENGTH = 64;

    /** Rate-limit kinds in {@code kiln:{a:ID}:rl:<kind>:<keyhash>}. */
    public static final String RL_REQUESTS = "req";
    public static final String RL_IMAGES = "img";

    private RedisKeys() {
    }

    /**
     * Account ids are 1–64 of {@code [A-Za-z0-9-]}: what can sit between {@code kiln_sk_} and the next
     * {@code _} of an API key.
     */
    public static boolean isValidAccountId(String accountId) {
        return isId(accountId, false);
    }

    /** Job ids are 1–64 of {@code [A-Za-z0-9_-]}; the API makes them as {@code img_} + 32 hex digits. */
    public static boolean isValidJobId(String jobId) {
        return isId(jobId, true);
    }

    // A loop, not a regex: every key of a submission is checked, and a Matcher per key was a visible
    // share of the event loop's time per submission (docs/decisions/2026-12-03-cheaper-submit-script-and-parsing.md).
    private static boolean isId(String id, boolean underscoreAllowed) {
        if (id == null || id.isEmpty() || id.length() > MAX_ID_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
                    || (underscoreAllowed && c == '_');
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Hash: {@code plan}, {@code tier}, {@code balance_micros}, {@code reserved_micros}, {@code created_ms}. */
    public static String account(String accountId) {
        return prefix(accountId) + "account";
    }

    /** Hash: {@code status} (active|revoked), {@code tier} (optional override), {@code created_ms}. */
    public static String apiKey(String accountId, String keyHashHex) {
        return prefix(accountId) + "key:" + keyHashHex;
    }

    /** Sorted set of admitted requests/images in the current window, scored by millis. */
    public static String rateLimit(String accountId, String kind, String keyHashHex) {
        return prefix(accountId) + "rl:" + kind + ":" + keyHashHex;
    }

    /** Hash: the job record, fields in {@link dev.kiln.common.jobs.JobRecord}. */
    public static String job(String accountId, String jobId) {
        return prefix(accountId) + "job:" + requireJobId(jobId);
    }

    private static String requireJobId(String jobId) {
        if (!isValidJobId(jobId)) {
            throw new IllegalArgumentException("invalid job id");
        }
        return jobId;
    }

    /** Stream: every money movement of the account. */
    public static String ledger(String accountId) {
        return prefix(accountId) + "ledger";
    }

    /**
     * String: the id of the newest entry of {@link #ledger} that the API's ledger mirror has published to
     * Kafka and seen acknowledged; absent until its first pass over the account.
     */
    public static String ledgerMirrored(String accountId) {
        return prefix(accountId) + "ledger-mirrored";
    }

    /** Hash {@code body}, {@code job}: an Idempotency-Key's first use (24 h TTL). */
    public static String idempotency(String accountId, String idempotencyKeySha256Hex) {
        return prefix(accountId) + "idem:" + idempotencyKeySha256Hex;
    }

    /** Pub/sub channel announcing that a job reached a terminal state (message = status). */
    public static String jobDoneChannel(String jobId) {
        return "kiln:job-done:" + jobId;
    }

    /**
     * Pub/sub channel of a running job's progress and preview messages ({@link dev.kiln.common.jobs.ProgressEvent}
     * JSON). In the account's hash slot, so a Redis Cluster can carry it as a sharded channel ({@code SPUBLISH}).
     */
    public static String jobEvents(String accountId, String jobId) {
        return prefix(accountId) + "job-events:" + requireJobId(jobId);
    }

    /**
     * String: the latest progress message of a running job (JSON, short TTL), for polls that arrive between
     * messages. In the account's hash slot like the job record.
     */
    public static String jobProgress(String accountId, String jobId) {
        return prefix(accountId) + "job-progress:" + requireJobId(jobId);
    }

    /**
     * Sorted set of the account's jobs admitted but not yet acknowledged by Kafka (member = job id,
     * score = admission millis). The submit script adds, the API removes after the Kafka ack; an entry
     * that stays is examined by the API's reconciler, which fails and refunds its job only once the
     * workers have provably processed the topic past it (a job still queued then never reached Kafka).
     */
    public static String enqueuePending(String accountId) {
        return prefix(accountId) + "enqueue-pending";
    }

    /** The account id inside any account key ({@code kiln:{a:ID}:...}), or null if it is not one. */
    public static String accountOf(String key) {
        if (key == null || !key.startsWith("kiln:{a:")) {
            return null;
        }
        int end = key.indexOf('}', 8);
        if (end < 0) {
            return null;
        }
        String id = key.substring(8, end);
        return isValidAccountId(id) ? id : null;
    }

    /**
     * Sorted set of the account's unsettled jobs (member = job id, score = deadline millis): the submit
     * script adds, the settle script removes. The API's sweeper reads it through {@link #ACCOUNTS} to
     * settle jobs nobody settled by their deadline. One set per account keeps it in the account's slot,
     * so both scripts still touch one Redis Cluster slot.
     */
    public static String liveJobs(String accountId) {
        return prefix(accountId) + "live";
    }

    /** Hash: the first top-up posted with a reference (amounts and resulting balance); no TTL. */
    public static String topUpReference(String accountId, String referenceSha256Hex) {
        return prefix(accountId) + "topup:" + referenceSha256Hex;
    }

    /**
     * Set of every account id: the entry point of the sweepers, which visit each account's
     * {@link #liveJobs} and {@link #enqueuePending} sets instead of scanning the keyspace. Written when
     * an account is created (outside the creation script: it lives in no account's slot).
     */
    public static final String ACCOUNTS = "kiln:accounts";

    /** String holding the id of the API instance that sweeps right now (SET NX PX: a lock with a TTL). */
    public static final String SWEEPER_LOCK = "kiln:sweeper:lock";

    /** String holding the id of the API instance that mirrors the ledgers right now (SET NX PX). */
    public static final String LEDGER_MIRROR_LOCK = "kiln:ledger-mirror:lock";

    /** Set of the account's key hashes, so the admin API can list and revoke them. */
    public static String keyIndex(String accountId) {
        return prefix(accountId) + "keys";
    }

    private static String prefix(String accountId) {
        if (!isValidAccountId(accountId)) {
            throw new IllegalArgumentException("invalid account id");
        }
        return "kiln:{a:" + accountId + "}:";
    }
}
