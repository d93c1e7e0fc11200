package dev.kiln.api;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

import java.util.Map;
import java.util.Optional;

/**
 * All {@code kiln.api.*} settings. Defaults are documented here and in docs/configuration-api.md;
 * the model catalog and rate tiers have their defaults in application.properties because they are maps.
 */
@ConfigMapping(prefix = "kiln.api")
public interface ApiConfig {

    Redis redis();

    S3 s3();

    /** The admin API's own port ({@code kiln.api.admin.*}). */
    Admin admin();

    /** Bearer token of the admin API; when absent the admin API answers 401 to everyone. */
    @WithName("admin-token")
    Optional<String> adminToken();

    /** Secret mixed into stored key hashes: HMAC-SHA256(pepper, key). Required. */
    @WithName("key-pepper")
    String keyPepper();

    /** Synchronous waiting ({@code kiln.api.wait.*}). */
    @WithName("wait")
    Wait syncWait();

    Queue queue();

    Limits limits();

    Jobs jobs();

    /** Sweeper of jobs that were admitted but never reached Kafka ({@code kiln.api.reconcile.*}). */
    Reconcile reconcile();

    /** Model catalog by id: {@code kiln.api.models."sd-1.5".price-micros-per-image}. */
    Map<String, Model> models();

    /** Model used when a request names none. */
    @WithName("default-model")
    @WithDefault("sd-1.5")
    String defaultModel();

    /** Rate tiers by name: {@code kiln.api.tiers.free.requests-per-minute}. */
    Map<String, Tier> tiers();

    /** Tier applied when an account's or key's tier is not configured. */
    @WithName("default-tier")
    @WithDefault("free")
    String defaultTier();

    /** Per-account ledger stream ({@code kiln.api.ledger.*}). */
    Ledger ledger();

    /** Sweeper of jobs left unsettled past their deadline ({@code kiln.api.sweeper.*}). */
    Sweeper sweeper();

    /**
     * Fee kept at top-up, in basis points of the gross amount (500 = 5 %), rounded up to a whole micro.
     * Must be 0–10000; anything else stops the service at start-up.
     */
    @WithName("top-up-fee-basis-points")
    @WithDefault("500")
    int topUpFeeBasisPoints();

    interface Admin {
        /** Port of the admin API's own HTTP server ({@code /admin/v1} is served nowhere else); 0 picks a free one. */
        @WithDefault("8082")
        int port();
    }

    interface Redis {
        /** Redis URI. */
        @WithDefault("redis://localhost:6379")
        String uri();

        /** Per-command and connect timeout. */
        @WithName("timeout-millis")
        @WithDefault("2000")
        long timeoutMillis();

        /**
         * Replicas that must have acknowledged a money-changing write (submit, cancel, refund, top-up)
         * before the API answers: {@code WAIT <n> <wait-timeout-millis>}. 0 (default) sends no WAIT, for a
         * Redis without replicas; set 1 when the Redis has a replica.
         */
        @WithDefault("0")
        int waitReplicas();

        /** Bound on one WAIT; when it passes with fewer acknowledgements the answer goes out anyway (logged, counted). */
        @WithDefault("200")
        long waitTimeoutMillis();
    }

    interface S3 {
        /** S3 endpoint URL, e.g. http://localhost:9000. */
        @WithDefault("http://localhost:9000")
        String endpoint();

        /** Access key; required (no default: every deployment passes its own, the dev stack its generated one). */
        @WithName("access-key")
        String accessKey();

        /** Secret key; required. */
        @WithName("secret-key")
        String secretKey();

        @WithDefault("kiln")
        String bucket();

        /** Region used for signing; fixed so presigning never needs a network lookup. */
        @WithDefault("us-east-1")
        String region();

        /** Lifetime of presigned GET URLs returned as {@code url}. */
        @WithName("presign-expiry-seconds")
        @WithDefault("3600")
        int presignExpirySeconds();

        /** Connect/read/write timeout of S3 calls. */
        @WithName("timeout-millis")
        @WithDefault("10000")
        long timeoutMillis();

        /** Threads for blocking S3 reads done on behalf of waiting requests (b64_json). */
        @WithName("io-threads")
        @WithDefault("8")
        int ioThreads();

        /** Queued S3 reads beyond which requests get 503. */
        @WithName("io-queue")
        @WithDefault("1000")
        int ioQueue();
    }

    interface Wait {
        /** How long a synchronous call waits for its job when the client sends no {@code Prefer: wait=N}. */
        @WithName("default-seconds")
        @WithDefault("60")
        int defaultSeconds();

        /** Upper bound of {@code Prefer: wait=N}. */
        @WithName("max-seconds")
        @WithDefault("300")
        int maxSeconds();

        /** Synchronous callers waiting at once per instance; beyond it calls answer 202 at once. */
        @WithName("max-waiters")
        @WithDefault("10000")
        int maxWaiters();
    }

    interface Queue {
        /** Consumer lag (records) of the worker group above which submissions get 503 before reserving. */
        @WithName("max-lag")
        @WithDefault("10000")
        long maxLag();

        /** How often the cached lag is refreshed. */
        @WithName("lag-refresh-millis")
        @WithDefault("2000")
        long lagRefreshMillis();

        /** Timeout of each Kafka admin call. */
        @WithName("admin-timeout-millis")
        @WithDefault("3000")
        long adminTimeoutMillis();

        @WithDefault("kiln.jobs.v1")
        String topic();

        @WithName("consumer-group")
        @WithDefault("kiln-gpu-workers")
        String consumerGroup();

        /** Bound on waiting for Kafka to acknowledge a job record. */
        @WithName("enqueue-timeout-millis")
        @WithDefault("10000")
        long enqueueTimeoutMillis();
    }

    interface Limits {
        @WithName("max-prompt-chars")
        @WithDefault("4000")
        int maxPromptChars();

        @WithName("max-n")
        @WithDefault("10")
        int maxN();

        @WithName("min-side-px")
        @WithDefault("64")
        int minSidePx();

        @WithName("max-side-px")
        @WithDefault("1024")
        int maxSidePx();

        /** Largest accepted input image, decoded bytes (4 MiB). */
        @WithName("max-image-bytes")
        @WithDefault("4194304")
        int maxImageBytes();

        /** Largest accepted input image side. */
        @WithName("max-image-side-px")
        @WithDefault("2048")
        int maxImageSidePx();

        @WithName("min-steps")
        @WithDefault("1")
        int minSteps();

        @WithName("max-steps")
        @WithDefault("100")
        int maxSteps();

        @WithName("default-steps")
        @WithDefault("30")
        int defaultSteps();

        @WithName("max-guidance-scale")
        @WithDefault("30")
        double maxGuidanceScale();

        @WithName("default-guidance-scale")
        @WithDefault("7.5")
        double defaultGuidanceScale();

        @WithName("default-strength")
        @WithDefault("0.75")
        double defaultStrength();

        /** Rate-limit window; limits are "per minute" at the default. */
        @WithName("rate-window-millis")
        @WithDefault("60000")
        long rateWindowMillis();
    }

    interface Jobs {
        /** How long job records stay readable in Redis. */
        @WithName("record-ttl-seconds")
        @WithDefault("604800")
        long recordTtlSeconds();

        /** A job not started within this time is expired by the worker, not run. */
        @WithName("deadline-seconds")
        @WithDefault("900")
        long deadlineSeconds();

        /** How long an Idempotency-Key is remembered. */
        @WithName("idempotency-ttl-seconds")
        @WithDefault("86400")
        long idempotencyTtlSeconds();
    }

    interface Reconcile {
        /** Runs the reconciler at all (every instance may run it: failing a job is idempotent). */
        @WithDefault("true")
        boolean enabled();

        /** Period between sweeps. */
        @WithName("interval-millis")
        @WithDefault("30000")
        long intervalMillis();

        /**
         * Age (by its enqueue-pending entry) before a job is examined at all; well above the enqueue
         * timeout so an in-flight hand-off is never looked at. Examining never fails a job by age alone:
         * see EnqueueReconciler.
         */
        @WithName("min-age-millis")
        @WithDefault("120000")
        long minAgeMillis();

        /**
         * Largest difference allowed between the API hosts' clocks and Redis's: added to the enqueue
         * timeout when deciding whether the workers have processed the topic past a job's send.
         */
        @WithDefault("5000")
        long maxClockSkewMillis();

        /** Accounts one sweep visits at most (the registry cursor carries over to the next sweep). */
        @WithDefault("10000")
        int maxAccountsPerRun();

        /** Jobs one sweep fails and refunds at most. */
        @WithName("max-jobs-per-run")
        @WithDefault("100")
        int maxJobsPerRun();
    }

    interface Ledger {
        /**
         * Entries kept per account: every ledger append ({@code XADD MAXLEN ~}) trims older entries beyond
         * about this many (approximate: Redis trims whole stream nodes). 0 never trims.
         */
        @WithDefault("100000")
        long maxEntries();

        /** Entries one {@code /ledger} or {@code /usage} page returns when the caller asks for none. */
        @WithDefault("100")
        int defaultPageSize();

        /** Largest page a caller may ask for with {@code limit}. */
        @WithDefault("1000")
        int maxPageSize();
    }

    interface Sweeper {
        /** Runs the sweeper at all. Instances take turns through a Redis lock, so one sweeps at a time. */
        @WithDefault("true")
        boolean enabled();

        /** Period between sweeps on each instance (only the lock holder sweeps). */
        @WithDefault("60000")
        long intervalMillis();

        /**
         * How long after a job's deadline it may still legitimately be running: the longest batch a
         * worker runs (a job started just before its deadline finishes up to this much later) plus the
         * settle retries. Past deadline + this, a queued or running job is expired and refunded.
         */
        @WithDefault("900000")
        long graceMillis();

        /** TTL of the sweep lock: longer than one sweep takes, so a dead holder frees it within this. */
        @WithDefault("120000")
        long lockTtlMillis();

        /** Accounts one sweep visits at most (the registry cursor carries over to the next sweep). */
        @WithDefault("10000")
        int maxAccountsPerRun();

        /** Jobs one sweep expires at most. */
        @WithDefault("1000")
        int maxJobsPerRun();
    }

    interface Model {
        /** Price of one image in micro-dollars (0 = free). */
        @WithName("price-micros-per-image")
        @WithDefault("0")
        long priceMicrosPerImage();

        /** Shown in GET /v1/models. */
        @WithName("owned-by")
        @WithDefault("kiln")
        String ownedBy();
    }

    interface Tier {
        @WithName("requests-per-minute")
        int requestsPerMinute();

        @WithName("images-per-minute")
        int imagesPerMinute();

        /**
         * Credit limit given to invoiced accounts created on this tier: how far below zero their balance
         * may go before submissions get 402. Absent: no ceiling. An account's own limit (admin API) wins.
         */
        Optional<Long> creditLimitMicros();
    }
}
