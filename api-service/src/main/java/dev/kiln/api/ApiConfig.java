package dev.kiln.api;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

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
    Optional<String> adminToken();

    /** Secret mixed into stored key hashes: HMAC-SHA256(pepper, key). Required. */
    String keyPepper();

    /** Synchronous waiting ({@code kiln.api.wait.*}). */
    @WithName("wait")
    Wait syncWait();

    Queue queue();

    Limits limits();

    Jobs jobs();

    /** Sweeper of jobs that were admitted but never reached Kafka ({@code kiln.api.reconcile.*}). */
    Reconcile reconcile();

    /**
     * Model catalog by id:
     * {@code kiln.api.models."runwayml/stable-diffusion-v1-5-img2img".price-micros-per-image}.
     */
    Map<String, Model> models();

    /**
     * Other names a request may use for a catalog model ({@code kiln.api.model-aliases."dall-e-3"=<model id>}):
     * OpenAI's model names, so that unmodified clients work, and Kiln's short {@code sd-1.5}.
     */
    Map<String, String> modelAliases();

    /** Model used when a request names none. */
    @WithDefault("runwayml/stable-diffusion-v1-5-img2img")
    String defaultModel();

    /** Output encodings ({@code kiln.api.output.*}). */
    Output output();

    /** Input image decoding ({@code kiln.api.decode.*}). */
    Decode decode();

    /** Rate tiers by name: {@code kiln.api.tiers.free.requests-per-minute}. */
    Map<String, Tier> tiers();

    /** Tier applied when an account's or key's tier is not configured. */
    @WithDefault("free")
    String defaultTier();

    /** Per-account ledger stream ({@code kiln.api.ledger.*}). */
    Ledger ledger();

    /** Sweeper of jobs left unsettled past their deadline ({@code kiln.api.sweeper.*}). */
    Sweeper sweeper();

    /** Copy of every account's ledger to Kafka ({@code kiln.api.ledger-mirror.*}). */
    LedgerMirror ledgerMirror();

    /**
     * Fee kept at top-up, in basis points of the gross amount (500 = 5 %), rounded up to a whole micro.
     * Must be 0–10000; anything else stops the service at start-up.
     */
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
        @WithDefault("2s")
        Duration timeout();

        /**
         * Replicas that must have acknowledged a money-changing write (submit, cancel, refund, top-up)
         * before the API answers: {@code WAIT <n> <wait-timeout>}. 0 (default) sends no WAIT, for a
         * Redis without replicas; set 1 when the Redis has a replica.
         */
        @WithDefault("0")
        int waitReplicas();

        /** Bound on one WAIT; when it passes with fewer acknowledgements the answer goes out anyway (logged, counted). */
        @WithDefault("200ms")
        Duration waitTimeout();
    }

    interface S3 {
        /** S3 endpoint URL, e.g. http://localhost:9000. */
        @WithDefault("http://localhost:9000")
        String endpoint();

        /** Access key; required (no default: every deployment passes its own, the dev stack its generated one). */
        String accessKey();

        /** Secret key; required. */
        String secretKey();

        @WithDefault("kiln")
        String bucket();

        /** Region used for signing; fixed so presigning never needs a network lookup. */
        @WithDefault("us-east-1")
        String region();

        /** Lifetime of presigned GET URLs returned as {@code url}. */
        @WithDefault("3600")
        int presignExpirySeconds();

        /** Connect/read/write timeout of S3 calls. */
        @WithDefault("10s")
        Duration timeout();

        /** Threads for blocking S3 reads done on behalf of waiting requests (b64_json). */
        @WithDefault("8")
        int ioThreads();

        /** Queued S3 reads beyond which requests get 503. */
        @WithDefault("1000")
        int ioQueue();
    }

    interface Wait {
        /**
         * How long a synchronous call waits for its job when the client sends no {@code Prefer: wait=N};
         * past it the call answers 504 {@code job_timeout} (the job keeps running and can be polled).
         */
        @WithDefault("300")
        int defaultSeconds();

        /** Upper bound of {@code Prefer: wait=N}. */
        @WithDefault("300")
        int maxSeconds();

        /** Synchronous callers waiting at once per instance; beyond it calls answer 503 before anything is charged. */
        @WithDefault("10000")
        int maxWaiters();

        /**
         * Period of the {@code : keep-alive} comment lines on a server-sent event stream ({@code stream: true},
         * a job's event feed), so that proxies do not close a connection that is quiet while the job waits or runs.
         */
        @WithDefault("15s")
        Duration streamHeartbeat();
    }

    interface Queue {
        /** Consumer lag (records) of the worker group above which submissions get 503 before reserving. */
        @WithDefault("10000")
        long maxLag();

        /** How often the cached lag is refreshed. */
        @WithDefault("2s")
        Duration lagRefresh();

        /** Timeout of each Kafka admin call. */
        @WithDefault("3s")
        Duration adminTimeout();

        @WithDefault("kiln.jobs.v1")
        String topic();

        @WithDefault("kiln-gpu-workers")
        String consumerGroup();

        /** Bound on waiting for Kafka to acknowledge a job record. */
        @WithDefault("10s")
        Duration enqueueTimeout();
    }

    interface Limits {
        @WithDefault("4000")
        int maxPromptChars();

        @WithDefault("10")
        int maxN();

        @WithDefault("64")
        int minSidePx();

        @WithDefault("1024")
        int maxSidePx();

        /** Largest accepted input image, decoded bytes (4 MiB). */
        @WithDefault("4194304")
        int maxImageBytes();

        /** Largest accepted input image side. */
        @WithDefault("2048")
        int maxImageSidePx();

        @WithDefault("1")
        int minSteps();

        @WithDefault("100")
        int maxSteps();

        @WithDefault("30")
        int defaultSteps();

        @WithDefault("30")
        double maxGuidanceScale();

        @WithDefault("7.5")
        double defaultGuidanceScale();

        @WithDefault("0.75")
        double defaultStrength();

        /** Rate-limit window; limits are "per minute" at the default. */
        @WithDefault("1m")
        Duration rateWindow();
    }

    interface Jobs {
        /** How long job records stay readable in Redis. */
        @WithDefault("604800")
        long recordTtlSeconds();

        /** A job not started within this time is expired by the worker, not run. */
        @WithDefault("900")
        long deadlineSeconds();

        /** How long an Idempotency-Key is remembered. */
        @WithDefault("86400")
        long idempotencyTtlSeconds();

        /**
         * How long a request is remembered for de-duplicating an OpenAI SDK's automatic retries
         * ({@code x-stainless-retry-count} at least 1, same account and body, no Idempotency-Key).
         */
        @WithDefault("10m")
        Duration sdkRetryWindow();
    }

    interface Reconcile {
        /** Runs the reconciler at all (every instance may run it: failing a job is idempotent). */
        @WithDefault("true")
        boolean enabled();

        /** Period between sweeps. */
        @WithDefault("30s")
        Duration interval();

        /**
         * Age (by its enqueue-pending entry) before a job is examined at all; well above the enqueue
         * timeout so an in-flight hand-off is never looked at. Examining never fails a job by age alone:
         * see EnqueueReconciler.
         */
        @WithDefault("2m")
        Duration minAge();

        /**
         * Largest difference allowed between the API hosts' clocks and Redis's: added to the enqueue
         * timeout when deciding whether the workers have processed the topic past a job's send.
         */
        @WithDefault("5s")
        Duration maxClockSkew();

        /** Accounts one sweep visits at most (the registry cursor carries over to the next sweep). */
        @WithDefault("10000")
        int maxAccountsPerRun();

        /** Jobs one sweep fails and refunds at most. */
        @WithDefault("100")
        int maxJobsPerRun();
    }

    interface Output {
        /**
         * Accept {@code output_format=webp}. Off until the workers encode WebP: a request for it is
         * refused (400 naming {@code output_format}) rather than answered with another format.
         */
        @WithDefault("false")
        boolean webpEnabled();
    }

    interface Decode {
        /** Threads decoding input images (CPU-bound); bounds the memory concurrent decodes can take. */
        @WithDefault("2")
        int threads();

        /** Decodes waiting for a thread beyond which submissions with an image get 503. */
        @WithDefault("32")
        int queue();
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

    interface LedgerMirror {
        /**
         * Runs the mirror at all. Instances take turns through a Redis lock, so one mirrors at a time.
         * Off, ledger entries trimmed from Redis exist nowhere else.
         */
        @WithDefault("true")
        boolean enabled();

        /**
         * Period between passes on each instance (only the lock holder mirrors). A pass mirrors every
         * account up to its newest entry, so an entry waits about this long; it is lost to the mirror only
         * if {@code kiln.api.ledger.max-entries} newer entries of its account are appended before then.
         */
        @WithDefault("10s")
        Duration interval();

        /** Entries read from one account's stream, published and acknowledged together. */
        @WithDefault("500")
        int batchSize();

        /** Topic the entries go to (key = account id, value = LedgerRecord JSON). */
        @WithDefault("kiln.ledger.v1")
        String topic();

        /** Bound on waiting for Kafka to acknowledge one batch; past it the pass stops and the cursor stays. */
        @WithDefault("15s")
        Duration sendTimeout();

        /** TTL of the mirror's lock: longer than a batch takes, so a dead holder frees it within this. */
        @WithDefault("2m")
        Duration lockTtl();
    }

    interface Sweeper {
        /** Runs the sweeper at all. Instances take turns through a Redis lock, so one sweeps at a time. */
        @WithDefault("true")
        boolean enabled();

        /** Period between sweeps on each instance (only the lock holder sweeps). */
        @WithDefault("60s")
        Duration interval();

        /**
         * How long after a job's deadline it may still legitimately be running: the longest batch a
         * worker runs (a job started just before its deadline finishes up to this much later) plus the
         * settle retries. Past deadline + this, a queued or running job is expired and refunded.
         */
        @WithDefault("15m")
        Duration grace();

        /** TTL of the sweep lock: longer than one sweep takes, so a dead holder frees it within this. */
        @WithDefault("2m")
        Duration lockTtl();

        /** Accounts one sweep visits at most (the registry cursor carries over to the next sweep). */
        @WithDefault("10000")
        int maxAccountsPerRun();

        /** Jobs one sweep expires at most. */
        @WithDefault("1000")
        int maxJobsPerRun();
    }

    interface Model {
        /** Price of one image in micro-dollars (0 = free). */
        @WithDefault("0")
        long priceMicrosPerImage();

        /** Shown in GET /v1/models. */
        @WithDefault("kiln")
        String ownedBy();
    }

    interface Tier {
        int requestsPerMinute();

        int imagesPerMinute();

        /**
         * Credit limit given to invoiced accounts created on this tier: how far below zero their balance
         * may go before submissions get 402. Absent: no ceiling. An account's own limit (admin API) wins.
         */
        Optional<Long> creditLimitMicros();
    }
}
