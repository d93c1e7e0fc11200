package dev.kiln.api.images;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.auth.PresentedKey;
import dev.kiln.api.errors.ApiException;
import dev.kiln.api.errors.ErrorMappers;
import dev.kiln.api.jobs.EnqueuePendingRemover;
import dev.kiln.api.jobs.JobPublisher;
import dev.kiln.api.jobs.JobViews;
import dev.kiln.api.jobs.JobWaiter;
import dev.kiln.api.jobs.QueueLagMonitor;
import dev.kiln.api.ratelimit.RateLimitSnapshot;
import dev.kiln.api.ratelimit.TierTable;
import dev.kiln.api.redis.KilnRedis;
import dev.kiln.api.redis.RedisCalls;
import dev.kiln.api.storage.ObjectStore;
import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.errors.ErrorType;
import dev.kiln.common.jobs.JobJson;
import dev.kiln.common.jobs.JobRecord;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.common.jobs.JobStatus;
import dev.kiln.common.redis.KilnScripts;
import dev.kiln.common.redis.RedisKeys;
import dev.kiln.common.redis.ScriptRunner;
import dev.kiln.common.storage.S3Keys;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Admission and hand-off of an image job: one submit script round trip (auth, idempotency, rate
 * limits, reservation, job record, ledger), then the input to S3 and the spec to Kafka. If either
 * hand-off fails the reservation is refunded and the job failed (settle script) and the client gets
 * 503. Non-blocking end to end: every step is a CompletionStage (Redis, Kafka ack) and the only
 * blocking work (an img2img input upload, S3 reads for b64_json) runs on the bounded S3 pool, so the
 * text-to-image path can run on the event loop and waiting for the result holds no thread.
 */
@ApplicationScoped
public class SubmitService {
    private static final Logger LOG = Logger.getLogger(SubmitService.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ApiConfig config;
    private final KilnRedis redis;
    private final TierTable tiers;
    private final QueueLagMonitor lag;
    private final ObjectStore store;
    private final JobPublisher publisher;
    private final EnqueuePendingRemover pending;
    private final JobWaiter waiter;
    private final JobViews views;
    private final MeterRegistry metrics;
    private final Timer reserveTimer;
    private final Timer enqueueTimer;
    /** Counters by outcome: a handful of script outcomes, so bounded. */
    private final Map<String, Counter> outcomes = new ConcurrentHashMap<>();

    public SubmitService(ApiConfig config, KilnRedis redis, TierTable tiers, QueueLagMonitor lag, ObjectStore store,
                         JobPublisher publisher, EnqueuePendingRemover pending, JobWaiter waiter, JobViews views,
                         MeterRegistry metrics) {
        this.config = config;
        this.redis = redis;
        this.tiers = tiers;
        this.lag = lag;
        this.store = store;
        this.publisher = publisher;
        this.pending = pending;
        this.waiter = waiter;
        this.views = views;
        this.metrics = metrics;
        // Histogram buckets, not client-side percentiles: Prometheus can aggregate buckets over all API replicas.
        this.reserveTimer = Timer.builder("kiln.api.reserve").description("Submit script round trip")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(5)).register(metrics);
        this.enqueueTimer = Timer.builder("kiln.api.enqueue").description("Input upload + Kafka acknowledgement")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(15)).register(metrics);
    }

    public CompletionStage<Response> submit(String authorization, ImageRequest request, long priceMicros,
                                            String preferHeader, String idempotencyKey, String traceparent) {
        PresentedKey key = PresentedKey.from(authorization, config.keyPepper());
        Prefer prefer = Prefer.parse(preferHeader, config.syncWait().defaultSeconds(), config.syncWait().maxSeconds());
        if (lag.saturated()) {
            count("queue_saturated");
            throw new ApiException(ErrorType.SERVICE_UNAVAILABLE, "The image queue is saturated; retry shortly.",
                    null, ErrorCodes.QUEUE_SATURATED, Map.of("Retry-After", "5"));
        }
        String account = key.accountId();
        String jobId = "img_" + HexFormat.of().formatHex(randomBytes(16));
        long now = System.currentTimeMillis();
        long seed = request.seed() != null ? request.seed() : ThreadLocalRandom.current().nextLong(0, 1L << 32);
        JobSpec spec = new JobSpec(JobSpec.SCHEMA_VERSION, jobId, account,
                request.isImg2Img() ? JobSpec.MODE_IMG2IMG : JobSpec.MODE_TXT2IMG, request.model(), request.prompt(),
                request.negativePrompt(), request.n(), request.width(), request.height(), request.steps(),
                request.guidanceScale(), request.isImg2Img() ? request.strength() : null, seed, request.scheduler(),
                request.isImg2Img() ? S3Keys.input(jobId) : null, now,
                now + config.jobs().deadlineSeconds() * 1000);

        String idemHash = hasIdempotencyKey(idempotencyKey) ? sha256(idempotencyKey) : "";
        // Without an Idempotency-Key the script ignores KEYS[7]; "none" keeps the key in the account's slot.
        String idemRecordKey = RedisKeys.idempotency(account, idemHash.isEmpty() ? "none" : idemHash);
        String[] keys = {RedisKeys.account(account), RedisKeys.apiKey(account, key.keyHash()),
                RedisKeys.rateLimit(account, RedisKeys.RL_REQUESTS, key.keyHash()),
                RedisKeys.rateLimit(account, RedisKeys.RL_IMAGES, key.keyHash()),
                RedisKeys.job(account, jobId), RedisKeys.ledger(account),
                idemRecordKey,
                RedisKeys.enqueuePending(account), RedisKeys.liveJobs(account)};
        Submission submission = new Submission(spec, JobJson.toJson(spec), request, priceMicros, prefer, traceparent,
                idemHash.isEmpty() ? null : idemRecordKey);
        List<String> args = new ArrayList<>(List.of(jobId, Integer.toString(request.n()), Long.toString(priceMicros),
                submission.specJson(), request.model(), idemHash.isEmpty() ? "" : request.fingerprint(),
                Long.toString(config.jobs().idempotencyTtlSeconds()), Long.toString(config.jobs().recordTtlSeconds()),
                Long.toString(tiers.windowMillis()), tiers.defaultTier()));
        args.addAll(tiers.argv());

        Timer.Sample sample = Timer.start(metrics);
        return RedisCalls.async(() -> redis.scripts().run(KilnScripts.SUBMIT, keys, args.toArray(String[]::new)))
                .thenCompose(reply -> {
                    sample.stop(reserveTimer);
                    return admitted(reply, submission);
                })
                .exceptionally(SubmitService::errorResponse);
    }

    /** What one admitted submission carries through its hand-off and answer. */
    private record Submission(JobSpec spec, String specJson, ImageRequest request, long priceMicros, Prefer prefer,
                              String traceparent, String idempotencyRecordKey) {
    }

    private CompletionStage<Response> admitted(List<Object> reply, Submission submission) {
        JobSpec spec = submission.spec();
        ImageRequest request = submission.request();
        Prefer prefer = submission.prefer();
        String outcome = ScriptRunner.str(reply, 0);
        count(outcome);
        if ("unauthenticated".equals(outcome)) {
            throw PresentedKey.unauthenticated("Incorrect API key provided.");
        }
        String account = spec.accountId();
        String jobId = spec.jobId();
        Map<String, String> headers = RateLimitSnapshot.fromScriptReply(reply).headers();
        switch (outcome) {
            case "ok" -> {
                return enqueue(submission, headers).thenCompose(queued -> {
                    LOG.infof("job %s queued: account=%s model=%s n=%d mode=%s", jobId, account, spec.model(),
                            spec.n(), spec.mode());
                    if (prefer.respondAsync()) {
                        // Fresh job: its state is known, so the 202 costs no second Redis round trip.
                        return CompletableFuture.completedFuture(build(Response.status(202).entity(views.queued(spec))
                                .header("Location", "/v1/images/jobs/" + jobId), headers));
                    }
                    return respond(account, jobId, prefer, request.responseFormat(), headers);
                });
            }
            case "replay" -> {
                return respond(account, ScriptRunner.str(reply, 1), prefer, request.responseFormat(), headers);
            }
            case "idempotency_conflict" -> throw new ApiException(ErrorType.CONFLICT,
                    "This Idempotency-Key was already used with a different request body.", null,
                    ErrorCodes.IDEMPOTENCY_KEY_REUSED, headers);
            case "rate_limited_requests", "rate_limited_images" -> {
                boolean requests = outcome.endsWith("requests");
                Map<String, String> h = merge(headers,
                        Map.of("Retry-After", RateLimitSnapshot.retryAfterSeconds(ScriptRunner.num(reply, 2))));
                throw new ApiException(ErrorType.RATE_LIMIT, "Rate limit reached for "
                        + (requests ? "requests" : "images") + " per minute; retry after the indicated time.",
                        null, requests ? ErrorCodes.RATE_LIMIT_REQUESTS : ErrorCodes.RATE_LIMIT_IMAGES, h);
            }
            case "insufficient_credits" -> throw new ApiException(ErrorType.INSUFFICIENT_CREDITS,
                    "Your wallet cannot pay for this request (" + request.n() + " x " + submission.priceMicros()
                            + " micros); top it up and retry.", null, ErrorCodes.INSUFFICIENT_CREDITS, headers);
            default -> throw new IllegalStateException("unexpected submit outcome " + outcome);
        }
    }

    /**
     * Hands the job to S3 (img2img input, on the bounded S3 pool) and Kafka without blocking a thread.
     * On success the job leaves the account's enqueue-pending set (batched and off the response path,
     * see {@link EnqueuePendingRemover}).
     * On failure the reservation is refunded and the job failed before the 503 is returned.
     */
    private CompletionStage<Void> enqueue(Submission submission, Map<String, String> headers) {
        JobSpec spec = submission.spec();
        ImageRequest request = submission.request();
        Timer.Sample sample = Timer.start(metrics);
        CompletionStage<Void> handOff;
        try {
            CompletionStage<Void> uploaded = request.isImg2Img()
                    ? CompletableFuture.runAsync(() -> {
                        try {
                            store.putPng(spec.inputKey(), request.inputPng());
                        } catch (Exception e) {
                            throw new CompletionException(e);
                        }
                    }, store.io())
                    : CompletableFuture.completedFuture(null);
            Duration timeout = Duration.ofMillis(config.queue().enqueueTimeoutMillis());
            handOff = uploaded.thenCompose(v -> publisher.publish(spec.jobId(), submission.specJson(),
                    submission.traceparent(), timeout).subscribeAsCompletionStage());
        } catch (RuntimeException rejected) {
            handOff = CompletableFuture.failedFuture(rejected);
        }
        return handOff.handle((ok, error) -> {
            if (error == null) {
                sample.stop(enqueueTimer);
                pending.remove(spec.accountId(), spec.jobId());
                return CompletableFuture.<Void>completedFuture(null);
            }
            return refund(spec, ErrorMappers.unwrap(error), headers, submission.idempotencyRecordKey());
        }).thenCompose(stage -> stage);
    }

    private CompletionStage<Void> refund(JobSpec spec, Throwable cause, Map<String, String> headers,
                                         String idempotencyRecordKey) {
        LOG.warnf("job %s could not be enqueued, refunding: %s", spec.jobId(), cause.toString());
        count("enqueue_failed");
        ApiException unavailable = new ApiException(ErrorType.SERVICE_UNAVAILABLE,
                "The job could not be queued; nothing was charged. Retry shortly.", null,
                ErrorCodes.BACKEND_UNAVAILABLE, merge(headers, Map.of("Retry-After", "1")));
        return RedisCalls.async(() -> redis.completer().failQueued(spec.accountId(), spec.jobId(),
                        ErrorCodes.ENQUEUE_FAILED, "The job could not be queued."))
                .thenCompose(settled -> {
                    pending.removeNow(spec.accountId(), spec.jobId());
                    // A retry with the same Idempotency-Key after this 503 must get a fresh attempt, not this failed job.
                    return idempotencyRecordKey == null ? CompletableFuture.completedFuture(0L)
                            : RedisCalls.async(() -> redis.commands().del(idempotencyRecordKey));
                })
                .handle((ignored, refundError) -> {
                    if (refundError != null) {
                        // The job stays queued with its reservation and is not in Kafka; it is still in the
                        // account's enqueue-pending set, so the EnqueueReconciler fails and refunds it later.
                        LOG.errorf("job %s: refund after enqueue failure also failed; the reconciler will refund it",
                                spec.jobId());
                    }
                    throw unavailable;
                });
    }

    /** The error answer for a failed submission stage: its ApiException, 503 for Redis trouble, else 500. */
    public static Response errorResponse(Throwable error) {
        Throwable cause = ErrorMappers.unwrap(error);
        if (cause instanceof ApiException api) {
            return ErrorMappers.toResponse(api);
        }
        if (cause instanceof io.lettuce.core.RedisException || cause instanceof java.util.concurrent.TimeoutException) {
            return ErrorMappers.toResponse(RedisCalls.unavailable(cause));
        }
        LOG.error("unexpected error during submission", cause);
        return ErrorMappers.toResponse(new ApiException(ErrorType.SERVER,
                "The server had an error processing your request.", null, ErrorCodes.INTERNAL));
    }

    /** Answers for a job that exists: 202 at once, or after waiting, the images (or the job if the wait ran out). */
    public CompletionStage<Response> respond(String account, String jobId, Prefer prefer, String format,
                                             Map<String, String> headers) {
        CompletionStage<JobRecord> record = prefer.respondAsync()
                ? waiter.read(account, jobId)
                : waiter.await(account, jobId, prefer.maxWait());
        return record.thenApplyAsync(r -> {
            if (r == null) {
                throw new IllegalStateException("job record " + jobId + " vanished");
            }
            if (r.status() == JobStatus.SUCCEEDED && !prefer.respondAsync()) {
                return build(Response.ok(views.images(r, format)), headers);
            }
            if (r.status().isTerminal() && !prefer.respondAsync()) {
                throw JobViews.terminalError(r).withHeaders(headers);
            }
            return build(Response.status(202).entity(views.job(r))
                    .header("Location", "/v1/images/jobs/" + jobId), headers);
        }, store.io()).exceptionally(error -> {
            Throwable cause = ErrorMappers.unwrap(error);
            if (cause instanceof ApiException api) {
                return ErrorMappers.toResponse(api.withHeaders(headers));
            }
            LOG.errorf(cause, "job %s: could not build the response", jobId);
            return ErrorMappers.toResponse(RedisCalls.unavailable(cause).withHeaders(headers));
        });
    }

    private static Response build(Response.ResponseBuilder b, Map<String, String> headers) {
        headers.forEach(b::header);
        return b.type(MediaType.APPLICATION_JSON).build();
    }

    private void count(String outcome) {
        outcomes.computeIfAbsent(outcome, o -> metrics.counter("kiln.api.submissions", "outcome", o)).increment();
    }

    private static Map<String, String> merge(Map<String, String> a, Map<String, String> b) {
        Map<String, String> m = new java.util.LinkedHashMap<>(a);
        m.putAll(b);
        return m;
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    /** An absent or empty Idempotency-Key header: the request is not idempotent. */
    static boolean hasIdempotencyKey(String idempotencyKey) {
        return idempotencyKey != null && !idempotencyKey.isEmpty();
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

}
