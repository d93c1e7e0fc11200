package dev.kiln.api.images;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.auth.PresentedKey;
import dev.kiln.api.errors.ApiException;
import dev.kiln.api.errors.Failures;
import dev.kiln.api.jobs.JobWaiter;
import dev.kiln.api.jobs.QueueLagMonitor;
import dev.kiln.api.ratelimit.RateLimitSnapshot;
import dev.kiln.api.redis.ApiRedis;
import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.errors.ErrorType;
import dev.kiln.common.jobs.JobJson;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.common.storage.S3Keys;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Admission of an image job, start to answer: the submit script ({@link AdmissionScript}), the
 * hand-off to S3 and Kafka ({@link JobHandOff}) and the answer ({@link ImageResponses}). Refusals
 * fail the returned stage with an {@link ApiException} carrying the key's rate-limit headers; the
 * error map renders them. Non-blocking end to end: waiting for the result holds no thread.
 */
@ApplicationScoped
public class SubmitService {
    private static final Logger LOG = Logger.getLogger(SubmitService.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ApiConfig config;
    private final QueueLagMonitor lag;
    private final AdmissionScript admission;
    private final JobHandOff handOff;
    private final ImageResponses responses;
    private final MeterRegistry metrics;
    private final Timer reserveTimer;
    private final Map<AdmissionOutcome, Counter> outcomes = new EnumMap<>(AdmissionOutcome.class);
    private final Counter saturated;
    private final Counter busy;
    private final JobWaiter waiter;
    private final ApiRedis redis;
    private final ImageStreams streams;

    public SubmitService(ApiConfig config, QueueLagMonitor lag, AdmissionScript admission, JobHandOff handOff,
            ImageResponses responses, JobWaiter waiter, ApiRedis redis, ImageStreams streams,
            MeterRegistry metrics) {
        this.waiter = waiter;
        this.streams = streams;
        this.redis = redis;
        this.config = config;
        this.lag = lag;
        this.admission = admission;
        this.handOff = handOff;
        this.responses = responses;
        this.metrics = metrics;
        // Histogram buckets, not client-side percentiles: Prometheus can aggregate buckets over all API replicas.
        this.reserveTimer = Timer.builder("kiln.api.reserve").description("Submit script round trip")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(5)).register(metrics);
        for (AdmissionOutcome o : AdmissionOutcome.values()) {
            outcomes.put(o, metrics.counter("kiln.api.submissions", "outcome", o.wire()));
        }
        this.saturated = metrics.counter("kiln.api.submissions", "outcome", ErrorCodes.QUEUE_SATURATED);
        this.busy = metrics.counter("kiln.api.submissions", "outcome", "waiters_full");
    }

    /**
     * @param deduplication how this request may repeat an earlier one
     * @param requestId the HTTP request's {@code x-request-id}, logged beside the job id
     */
    public CompletionStage<Response> submit(String authorization, ImageRequest request, long priceMicros,
            String preferHeader, Deduplication deduplication, String traceparent,
            String requestId) {
        PresentedKey key = PresentedKey.from(authorization, config.keyPepper());
        Prefer prefer = Prefer.parse(preferHeader, config.syncWait().defaultSeconds(), config.syncWait().maxSeconds());
        if (lag.saturated()) {
            saturated.increment();
            throw ApiException.unavailable(ErrorCodes.QUEUE_SATURATED, "The image queue is saturated; retry shortly.", 5);
        }
        // A caller who will wait needs a waiter slot; claimed before admission so that none is charged for
        // a job it could not wait for. A stream waits for its job whatever Prefer says.
        boolean waits = !prefer.respondAsync() || request.stream();
        if (waits && !waiter.tryReserve()) {
            busy.increment();
            throw ApiException.unavailable(ErrorCodes.SERVER_BUSY,
                    "Too many synchronous calls are waiting; retry shortly or send 'Prefer: respond-async'.", 1);
        }
        Runnable release = waits ? once(waiter::release) : () -> {
        };
        try {
            Submission submission = submission(key.accountId(), request, priceMicros, prefer, deduplication,
                    traceparent, requestId);
            if (request.stream()) {
                // The stream holds the slot until it ends; a refusal before it starts gives it back here.
                return streams.open(submission).thenCompose(pending -> {
                    CompletionStage<Response> answer;
                    try {
                        answer = admit(key, submission, pending, release);
                    } catch (RuntimeException e) {
                        pending.abandon();
                        throw e;
                    }
                    return answer.whenComplete((response, error) -> {
                        if (error != null) {
                            pending.abandon();
                        }
                    });
                }).whenComplete((response, error) -> {
                    if (error != null) {
                        release.run();
                    }
                });
            }
            CompletionStage<Response> answer = admit(key, submission, null, release);
            return waits ? answer.whenComplete((response, error) -> release.run()) : answer;
        } catch (RuntimeException e) {
            release.run();
            throw e;
        }
    }

    private static Runnable once(Runnable action) {
        AtomicBoolean done = new AtomicBoolean();
        return () -> {
            if (done.compareAndSet(false, true)) {
                action.run();
            }
        };
    }

    /**
     * @param stream the stream answering the submission ({@code stream: true}), else null
     * @param onEnd what a stream runs when it ends (gives back the waiter slot)
     */
    private CompletionStage<Response> admit(PresentedKey key, Submission submission,
            ImageStreams.PendingStream stream, Runnable onEnd) {
        Timer.Sample sample = Timer.start(metrics);
        return admission.run(key, submission).thenCompose(admitted -> {
            sample.stop(reserveTimer);
            outcomes.get(admitted.outcome()).increment();
            return answer(admitted, submission, stream, onEnd);
        });
    }

    private Submission submission(String account, ImageRequest request, long priceMicros, Prefer prefer,
            Deduplication deduplication, String traceparent, String requestId) {
        String jobId = "img_" + HexFormat.of().formatHex(randomBytes(16));
        long now = System.currentTimeMillis();
        long seed = request.seed() != null ? request.seed() : ThreadLocalRandom.current().nextLong(0, 1L << 32);
        JobSpec spec = new JobSpec(JobSpec.SCHEMA_VERSION, jobId, account,
                request.isImg2Img() ? JobSpec.MODE_IMG2IMG : JobSpec.MODE_TXT2IMG, request.model(), request.prompt(),
                request.negativePrompt(), request.n(), request.width(), request.height(), request.steps(),
                request.guidanceScale(), request.isImg2Img() ? request.strength() : null, seed, request.scheduler(),
                request.isImg2Img() ? S3Keys.input(jobId) : null, now,
                now + config.jobs().deadlineSeconds() * 1000, request.partialImages() == 0 ? null : request.partialImages(),
                request.outputFormat(), request.outputCompression());
        return new Submission(spec, JobJson.toJson(spec), request, priceMicros, prefer, traceparent, deduplication,
                requestId);
    }

    private CompletionStage<Response> answer(Admission admitted, Submission submission,
            ImageStreams.PendingStream stream, Runnable onEnd) {
        JobSpec spec = submission.spec();
        Map<String, String> headers = admitted.limits().headers();
        return switch (admitted.outcome()) {
            // The reservation the answer stands for must survive a failover to the replica; the WAIT runs
            // beside the Kafka send, so it adds nothing when the replica is quicker than the broker.
            case OK -> handOff.enqueue(submission, admitted.tier())
                    .thenCombine(redis.replicaWait().afterWrites(), (queued, acked) -> queued)
                    .thenCompose(queued -> {
                        LOG.infof("job %s queued: request=%s account=%s model=%s n=%d mode=%s", spec.jobId(),
                                submission.requestId(), spec.accountId(), spec.model(), spec.n(), spec.mode());
                        if (stream != null) {
                            return ImageResponses.completed(stream.respond(spec.jobId(), headers, onEnd));
                        }
                        if (submission.prefer().respondAsync()) {
                            return ImageResponses.completed(responses.queued(spec, headers));
                        }
                        return responses.respond(spec.accountId(), spec.jobId(), submission, headers);
                    }).exceptionally(error -> {
                        throw withHeaders(error, headers);
                    });
            case REPLAY -> {
                LOG.infof("job %s replayed: request=%s account=%s", admitted.jobId(), submission.requestId(),
                        spec.accountId());
                if (stream != null) {
                    yield ImageResponses.completed(stream.respond(admitted.jobId(), headers, onEnd));
                }
                yield responses.respond(spec.accountId(), admitted.jobId(), submission, headers).exceptionally(error -> {
                    throw withHeaders(error, headers);
                });
            }
            case UNAUTHENTICATED -> throw PresentedKey.unauthenticated("Incorrect API key provided.");
            case IDEMPOTENCY_CONFLICT -> throw new ApiException(ErrorType.CONFLICT,
                    "This Idempotency-Key was already used with a different request body.", null,
                    ErrorCodes.IDEMPOTENCY_KEY_REUSED, headers);
            case RATE_LIMITED_REQUESTS, RATE_LIMITED_IMAGES -> throw rateLimited(admitted, submission, headers);
            case INSUFFICIENT_CREDITS -> throw new ApiException(ErrorType.INSUFFICIENT_CREDITS,
                    "Your wallet cannot pay for this request (" + spec.n() + " x " + submission.priceMicros()
                            + " micros); top it up and retry.",
                    null, ErrorCodes.INSUFFICIENT_CREDITS, headers);
        };
    }

    private static ApiException rateLimited(Admission admitted, Submission submission, Map<String, String> headers) {
        boolean requests = admitted.outcome() == AdmissionOutcome.RATE_LIMITED_REQUESTS;
        long limit = requests ? admitted.limits().requestLimit() : admitted.limits().imageLimit();
        long cost = requests ? 1 : submission.spec().n();
        if (cost > limit) {
            // No window will ever hold it: a retry cannot pass.
            return new ApiException(ErrorType.RATE_LIMIT, "This request needs " + cost + " " + (requests ? "requests"
                    : "images") + " but the key's tier allows " + limit + " per minute; lower 'n' or use a higher tier.",
                    requests ? null : "n", requests ? ErrorCodes.RATE_LIMIT_REQUESTS : ErrorCodes.RATE_LIMIT_IMAGES,
                    headers, false);
        }
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put("Retry-After", RateLimitSnapshot.retryAfterSeconds(admitted.retryAfterMillis()));
        return new ApiException(ErrorType.RATE_LIMIT, "Rate limit reached for "
                + (requests ? "requests" : "images") + " per minute; retry after the indicated time.",
                null, requests ? ErrorCodes.RATE_LIMIT_REQUESTS : ErrorCodes.RATE_LIMIT_IMAGES, h);
    }

    /** The key's rate-limit headers on an error answer of an authenticated submission. */
    private static CompletionException withHeaders(Throwable error, Map<String, String> headers) {
        Throwable cause = Failures.unwrap(error);
        return new CompletionException(cause instanceof ApiException api ? api.withHeaders(headers) : cause);
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
