package dev.kiln.worker.config;

import dev.kiln.worker.batching.BatchingPolicy;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The worker's {@code kiln.worker.*} settings. Every property and its default is listed in
 * docs/configuration-worker.md; Kafka settings are the SmallRye channel's own
 * ({@code mp.messaging.incoming.jobs-in.*}).
 */
@ConfigMapping(prefix = "kiln.worker")
public interface WorkerConfig {

    /**
     * SD 1.5 ONNX model directory (diffusers/optimum layout). Unset: a tiny random model is generated
     * into {@link #dataDir()} and every image is noise (a loud warning says so).
     */
    @WithName("model-dir")
    Optional<Path> modelDir();

    /** Where a generated tiny model goes when {@link #modelDir()} is unset; default: a temp directory. */
    @WithName("data-dir")
    Optional<Path> dataDir();

    /** {@code cpu} or {@code cuda}. */
    @WithDefault("cpu")
    String device();

    Cuda cuda();

    /** ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose. */
    @WithName("intra-op-threads")
    @WithDefault("0")
    int intraOpThreads();

    /** Images per VAE call (the VAE needs GBs of activations per 512x512 image). */
    @WithName("vae-batch-images")
    @WithDefault("1")
    int vaeBatchImages();

    /** A job marked running this many times (each time a worker took it) is failed, refunded and dead-lettered. */
    @WithName("max-attempts")
    @WithDefault("3")
    int maxAttempts();

    Batching batching();

    Redis redis();

    S3 s3();

    Retry retry();

    Upload upload();

    Liveness liveness();

    Warmup warmup();

    Shutdown shutdown();

    /** CUDA execution provider settings. */
    interface Cuda {
        /** CUDA device ordinal. */
        @WithName("device-id")
        @WithDefault("0")
        int deviceId();

        /** Fail at start instead of falling back to CPU when CUDA is configured but unavailable. */
        @WithName("require")
        @WithDefault("false")
        boolean require();

        /** ONNX Runtime CUDA arena limit in bytes; 0 = no limit. */
        @WithName("mem-limit-bytes")
        @WithDefault("0")
        long memLimitBytes();
    }

    /** Maps onto {@link BatchingPolicy}; defaults are the batcher's documented ones. */
    interface Batching {
        @WithName("max-batch-images")
        @WithDefault("" + BatchingPolicy.DEFAULT_MAX_BATCH_IMAGES)
        int maxBatchImages();

        @WithName("max-wait-millis")
        @WithDefault("" + BatchingPolicy.DEFAULT_MAX_WAIT_MILLIS)
        long maxWaitMillis();

        @WithName("max-queued-jobs")
        @WithDefault("" + BatchingPolicy.DEFAULT_MAX_QUEUED_JOBS)
        int maxQueuedJobs();

        default BatchingPolicy policy() {
            return new BatchingPolicy(maxBatchImages(), maxWaitMillis(), maxQueuedJobs());
        }
    }

    interface Redis {
        @WithDefault("redis://localhost:6379")
        String uri();

        /** Per-command and connect timeout. */
        @WithName("timeout-millis")
        @WithDefault("5000")
        long timeoutMillis();

        /**
         * Replicas that must hold a settlement before its Kafka record is acknowledged
         * ({@code WAIT <n> <wait-timeout-millis>}). 0 (default) sends no WAIT, for a Redis without
         * replicas; set 1 when the Redis has a replica.
         */
        @WithDefault("0")
        int waitReplicas();

        /** Bound on one WAIT; past it the record is acknowledged anyway (logged). */
        @WithDefault("200")
        long waitTimeoutMillis();
    }

    /** The per-account ledger stream ({@code kiln.worker.ledger.*}). */
    Ledger ledger();

    interface Ledger {
        /**
         * Entries kept per account: each settlement appends with {@code XADD MAXLEN ~} this many; 0 never
         * trims. Keep it equal to the API's {@code kiln.api.ledger.max-entries}.
         */
        @WithDefault("100000")
        long maxEntries();
    }

    interface S3 {
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

        @WithDefault("us-east-1")
        String region();

        /** Connect, read and write timeout of every S3 call. */
        @WithName("timeout-millis")
        @WithDefault("10000")
        long timeoutMillis();
    }

    /** Exponential backoff for retryable failures (Redis or S3 unreachable). */
    interface Retry {
        /** Tries per operation, the first included. */
        @WithName("max-tries")
        @WithDefault("6")
        int maxTries();

        @WithName("initial-backoff-millis")
        @WithDefault("200")
        long initialBackoffMillis();

        @WithName("max-backoff-millis")
        @WithDefault("5000")
        long maxBackoffMillis();
    }

    /** The stage that encodes PNGs, uploads them and settles jobs while the next batch runs. */
    interface Upload {
        @WithDefault("2")
        int threads();

        /** Jobs handed to the stage and not yet settled; the inference loop waits beyond this. */
        @WithName("max-pending-jobs")
        @WithDefault("32")
        int maxPendingJobs();
    }

    interface Liveness {
        /** The inference loop is stalled when its heartbeat is older than this while work is queued. */
        @WithName("stall-millis")
        @WithDefault("300000")
        long stallMillis();
    }

    interface Warmup {
        /** Run one tiny batch after loading so the first job does not pay for lazy initialisation. */
        @WithDefault("true")
        boolean enabled();

        /** Side of the square warm-up image in pixels. */
        @WithName("size-pixels")
        @WithDefault("64")
        int sizePixels();

        @WithDefault("2")
        int steps();
    }

    interface Shutdown {
        /**
         * Time to finish the batch in hand and settle it at shutdown; keep it below
         * {@code quarkus.shutdown.timeout}.
         */
        @WithName("grace-millis")
        @WithDefault("45000")
        long graceMillis();
    }
}
