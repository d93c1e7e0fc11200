package dev.kiln.api.images;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.errors.ApiException;
import dev.kiln.api.errors.Failures;
import dev.kiln.api.jobs.EnqueuePendingRemover;
import dev.kiln.api.jobs.JobPublisher;
import dev.kiln.api.redis.ApiRedis;
import dev.kiln.api.redis.RedisCalls;
import dev.kiln.api.storage.ObjectStore;
import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.common.jobs.JobStatus;
import dev.kiln.common.jobs.SettleResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Hands an admitted job to S3 (img2img input, on the bounded S3 pool) and Kafka without blocking a
 * thread. If the hand-off fails the job is failed and refunded (settle script) and the stage fails
 * with a 503 that nothing was charged for, unless a worker already took the job: then the send only
 * looked failed (e.g. its acknowledgement was lost) and the job goes on as queued.
 */
@ApplicationScoped
public class JobHandOff {
    private static final Logger LOG = Logger.getLogger(JobHandOff.class);

    private final Duration enqueueTimeout;
    private final ApiRedis redis;
    private final ObjectStore store;
    private final JobPublisher publisher;
    private final EnqueuePendingRemover pending;
    private final Timer enqueueTimer;
    private final Counter failures;

    public JobHandOff(ApiConfig config, ApiRedis redis, ObjectStore store, JobPublisher publisher,
            EnqueuePendingRemover pending, MeterRegistry metrics) {
        this.enqueueTimeout = config.queue().enqueueTimeout();
        this.redis = redis;
        this.store = store;
        this.publisher = publisher;
        this.pending = pending;
        // Histogram buckets, not client-side percentiles: Prometheus can aggregate buckets over all API replicas.
        this.enqueueTimer = Timer.builder("kiln.api.enqueue").description("Input upload + Kafka acknowledgement")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(15)).register(metrics);
        this.failures = metrics.counter("kiln.api.submissions", "outcome", "enqueue_failed");
    }

    /**
     * Completes once the job is in Kafka (it then leaves the account's enqueue-pending set, batched
     * and off the response path, see {@link EnqueuePendingRemover}).
     *
     * @param tier the account's rate tier at admission, sent as the record's tier header
     */
    public CompletionStage<Void> enqueue(Submission submission, String tier) {
        JobSpec spec = submission.spec();
        ImageRequest request = submission.request();
        Timer.Sample sample = Timer.start();
        CompletionStage<Void> handOff;
        try {
            CompletionStage<Void> uploaded = request.isImg2Img()
                    ? CompletableFuture.runAsync(() -> upload(spec.inputKey(), request.inputPng()), store.io())
                    : CompletableFuture.completedFuture(null);
            handOff = uploaded.thenCompose(v -> publisher.publish(spec.jobId(), submission.specJson(),
                    submission.traceparent(), tier, enqueueTimeout).subscribeAsCompletionStage());
        } catch (RuntimeException rejected) {
            handOff = CompletableFuture.failedFuture(rejected);
        }
        return handOff.handle((ok, error) -> {
            if (error == null) {
                sample.stop(enqueueTimer);
                pending.remove(spec.accountId(), spec.jobId());
                return CompletableFuture.<Void> completedFuture(null);
            }
            return refund(submission, Failures.unwrap(error));
        }).thenCompose(stage -> stage);
    }

    private void upload(String key, byte[] png) {
        try {
            store.putPng(key, png);
        } catch (Exception e) {
            throw new CompletionException(e);
        }
    }

    private CompletionStage<Void> refund(Submission submission, Throwable cause) {
        JobSpec spec = submission.spec();
        LOG.warnf("job %s (request %s) could not be enqueued, refunding: %s", spec.jobId(), submission.requestId(),
                cause.toString());
        failures.increment();
        return RedisCalls.async(() -> redis.completer().failQueued(spec.accountId(), spec.jobId(),
                ErrorCodes.ENQUEUE_FAILED, "The job could not be queued."))
                .handle((settled, refundError) -> {
                    if (refundError != null) {
                        // The job stays queued with its reservation and is not in Kafka; it is still in the
                        // account's enqueue-pending set, so the EnqueueReconciler fails and refunds it later.
                        LOG.errorf("job %s: refund after enqueue failure also failed; the reconciler will refund it",
                                spec.jobId());
                        throw notQueued();
                    }
                    if (takenByWorker(settled)) {
                        // The record reached Kafka although the send reported a failure: the job runs and
                        // will be charged, so the client must learn its outcome, not "nothing was charged".
                        LOG.warnf("job %s: enqueue reported a failure but a worker took it (%s); answering as queued",
                                spec.jobId(), settled.status().wire());
                        pending.remove(spec.accountId(), spec.jobId());
                        return CompletableFuture.<Void> completedFuture(null);
                    }
                    pending.removeNow(spec.accountId(), spec.jobId());
                    return forgetRecord(submission).<Void> handle((ignored, forgetError) -> {
                        throw notQueued();
                    });
                })
                .thenCompose(stage -> stage);
    }

    /**
     * Settle found the job no longer queued: a worker marked it running, or already finished it with
     * images. A job that ended failed, expired or canceled was refunded, so "nothing charged" holds.
     */
    private static boolean takenByWorker(SettleResult settled) {
        return settled.outcome() == SettleResult.Outcome.NOT_ALLOWED
                || (settled.outcome() == SettleResult.Outcome.ALREADY_TERMINAL && settled.status() == JobStatus.SUCCEEDED);
    }

    /** A retry with the same Idempotency-Key after this 503 must get a fresh attempt, not this failed job. */
    private CompletionStage<Long> forgetRecord(Submission submission) {
        String recordKey = submission.recordKey();
        if (recordKey == null || !submission.deduplication().forgetsFailedHandOff()) {
            return CompletableFuture.completedFuture(0L);
        }
        return RedisCalls.async(() -> redis.commands().del(recordKey));
    }

    private static ApiException notQueued() {
        return ApiException.unavailable(ErrorCodes.BACKEND_UNAVAILABLE,
                "The job could not be queued; nothing was charged. Retry shortly.", 1);
    }
}
