package dev.kiln.worker.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * The worker's {@code kiln.worker.*} settings. Every property and its default is listed in
 * docs/configuration-worker.md; Kafka settings are the SmallRye channel's own
 * ({@code mp.messaging.incoming.jobs-in.*}).
 */
@ConfigMapping(prefix = "kiln.worker")
public interface WorkerConfig {

    /** SD 1.5 ONNX model directory (diffusers/optimum layout). Required: without it the worker never gets ready. */
    Optional<Path> modelDir();

    /**
     * Dev flag: serve a test-sized model (text hidden size below SD 1.5's 768), whose images are noise. Off in
     * production, so a mis-mounted model volume cannot serve and charge for noise; the local run and tests set it.
     */
    @WithDefault("false")
    boolean allowTestModel();

    /** {@code cpu} or {@code cuda}. */
    @WithDefault("cpu")
    String device();

    Cuda cuda();

    /** ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose. */
    @WithDefault("0")
    int intraOpThreads();

    /** Images per VAE call (the VAE needs GBs of activations per 512x512 image). */
    @WithDefault("1")
    int vaeBatchImages();

    /** A job marked running this many times (each time a worker took it) is failed, refunded and dead-lettered. */
    @WithDefault("3")
    int maxAttempts();

    Batching batching();

    Redis redis();

    S3 s3();

    Retry retry();

    Settle settle();

    Progress progress();

    Liveness liveness();

    Warmup warmup();

    Shutdown shutdown();

    /** CUDA execution provider settings. */
    interface Cuda {
        /** CUDA device ordinal. */
        @WithDefault("0")
        int deviceId();

        /** Fail at start instead of falling back to CPU when CUDA is configured but unavailable. */
        @WithDefault("false")
        boolean require();

        /** ONNX Runtime CUDA arena limit in bytes; 0 = no limit. */
        @WithDefault("0")
        long memLimitBytes();
    }

    /** Step-level batching: see docs/batching.md. */
    interface Batching {
        /**
         * Most UNet rows per call (an image with classifier-free guidance is 2 rows). The worker admits jobs while
         * their size has fewer running rows than this, so every call can be full.
         */
        @WithDefault("64")
        int maxRows();

        /**
         * Batch sizes in rows a call is padded up to (with {@code max-rows} as the last), so the device sees a few
         * shapes only (cuDNN's algorithm search and ONNX Runtime's memory plan are per shape).
         */
        @WithDefault("1,2,4,8,16,32,64")
        List<Integer> rowBuckets();

        /** Jobs accepted from Kafka and waiting to join (the back-pressure bound: intake waits beyond it). */
        @WithDefault("256")
        int maxQueuedJobs();

        /** Bound of the prompt-embedding cache in bytes (a 77x768 fp32 embedding is 236 KB); 0 disables it. */
        @WithDefault("67108864")
        long promptCacheBytes();

        /**
         * A queued job joins ahead of the fair order once its deadline minus its estimated run time minus this margin
         * has come.
         */
        @WithDefault("2s")
        Duration deadlineMargin();

        /**
         * Fair-share weight per account tier ({@code kiln.worker.batching.tier-weights.enterprise=4}), read from
         * the record's {@code kiln-tier} header; over the defaults free 1, standard 2, enterprise 4. A missing or
         * unknown tier weighs 1.
         */
        Map<String, Double> tierWeights();

        /** Time per step assumed until steps have been measured (for the deadline estimate). */
        @WithDefault("200ms")
        Duration initialStepEstimate();

        /**
         * Former static batcher's bound, ignored (a warning is logged at start): accepted so deployments that still
         * set it keep starting. Use {@code max-rows}.
         */
        Optional<Integer> maxBatchImages();

        /** Former static batcher's hold time, ignored (a warning is logged at start): step-level batching never holds. */
        Optional<Duration> maxWait();
    }

    interface Redis {
        @WithDefault("redis://localhost:6379")
        String uri();

        /** Per-command and connect timeout. */
        @WithDefault("5s")
        Duration timeout();

        /**
         * Replicas that must hold a settlement before its Kafka record is acknowledged
         * ({@code WAIT <n> <wait-timeout>}). 0 (default) sends no WAIT, for a Redis without
         * replicas; set 1 when the Redis has a replica.
         */
        @WithDefault("0")
        int waitReplicas();

        /** Bound on one WAIT; past it the record is acknowledged anyway (logged). */
        @WithDefault("200ms")
        Duration waitTimeout();
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
        String accessKey();

        /** Secret key; required. */
        String secretKey();

        @WithDefault("kiln")
        String bucket();

        @WithDefault("us-east-1")
        String region();

        /** Connect, read and write timeout of every S3 call. */
        @WithDefault("10s")
        Duration timeout();
    }

    /** Exponential backoff for retryable failures (Redis or S3 unreachable). */
    interface Retry {
        /** Tries per operation, the first included. */
        @WithDefault("6")
        int maxTries();

        /** First backoff, doubled per retry. */
        @WithDefault("200ms")
        Duration initialBackoff();

        /** Backoff cap. */
        @WithDefault("5s")
        Duration maxBackoff();
    }

    /** The settle stage: encodes PNGs, uploads them and settles every finished job while the next batch runs. */
    interface Settle {
        @WithDefault("2")
        int threads();

        /** Jobs handed to the stage and not yet settled; the inference loop waits beyond this. */
        @WithDefault("32")
        int maxPendingJobs();

        /**
         * VAE-decode finished requests on the stage's decode thread, so the next UNet calls run meanwhile, instead
         * of on the inference thread between calls. The device then holds one decode's activations beside a UNet
         * call's.
         */
        @WithDefault("true")
        boolean overlapDecode();
    }

    /** Progress and previews of running jobs, published to Redis off the inference thread. */
    interface Progress {
        /** Publish progress at all; off, jobs still run and previews asked for are simply not sent. */
        @WithDefault("true")
        boolean enabled();

        /** Least time between two progress messages of one job (previews and the last step are always sent). */
        @WithDefault("100ms")
        Duration minInterval();

        /** Messages waiting for the publisher thread; when full, new ones are dropped (and counted), never waited for. */
        @WithDefault("256")
        int queueCapacity();

        /** How long a job's latest-progress key lives after its last update. */
        @WithDefault("10m")
        Duration ttl();

        /**
         * Stretch previews to the job's output size instead of sending them at latent size (1/8 of the side);
         * the PNG grows by about the square of that.
         */
        @WithDefault("false")
        boolean previewFullSize();
    }

    interface Liveness {
        /** The inference loop is stalled when its heartbeat is older than this while work is queued. */
        @WithDefault("5m")
        Duration stall();
    }

    /** The warm-up before the worker takes jobs: every shape the step executor will use (docs/batching.md). */
    interface Warmup {
        /**
         * Run the shapes before reporting ready and consuming, so no job's call pays for ONNX Runtime's memory
         * plan or cuDNN's algorithm search of a new shape.
         */
        @WithDefault("true")
        boolean enabled();

        /** Side of the square warm-up image in pixels when {@code sizes-pixels} is not set. */
        @WithDefault("64")
        int sizePixels();

        /**
         * Square image sides warmed: at each, one UNet call per row bucket (up to {@code max-rows}) and one VAE
         * encode and decode. Unset: {@code size-pixels} alone. List the sizes the API serves.
         */
        Optional<List<Integer>> sizesPixels();

        /** No new shape starts once the warm-up has run this long; the rest pay on their first call. */
        @WithDefault("10m")
        Duration budget();

        /**
         * Former warm-up steps, ignored (a warning is logged at start): the warm-up runs shapes, not a
         * generation. Accepted so deployments that still set it keep starting.
         */
        Optional<Integer> steps();

        /** The sizes to warm: {@code sizes-pixels}, or {@code size-pixels} alone. */
        default List<Integer> sizes() {
            return sizesPixels().orElse(List.of(sizePixels()));
        }
    }

    interface Shutdown {
        /**
         * Time to finish the batch in hand and settle it at shutdown; keep it below
         * {@code quarkus.shutdown.timeout}.
         */
        @WithDefault("45s")
        Duration grace();
    }
}
