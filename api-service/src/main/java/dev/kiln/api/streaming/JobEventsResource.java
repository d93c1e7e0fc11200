package dev.kiln.api.streaming;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.auth.ApiKeyAuthenticator;
import dev.kiln.api.auth.Caller;
import dev.kiln.api.errors.ApiException;
import dev.kiln.api.errors.ErrorMappers;
import dev.kiln.api.jobs.JobViews;
import dev.kiln.api.jobs.JobWaiter;
import dev.kiln.api.redis.ApiRedis;
import dev.kiln.api.storage.ObjectStore;
import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.errors.ErrorType;
import dev.kiln.common.jobs.JobRecord;
import dev.kiln.common.jobs.ProgressChannel;
import dev.kiln.common.jobs.ProgressEvent;
import dev.kiln.common.redis.RedisKeys;
import io.vertx.core.Vertx;

/**
 * {@code GET /v1/images/jobs/{id}/events}: a job's server-sent event feed, for jobs submitted asynchronously.
 * {@code progress} ({@code {step, steps}}) as the worker reports denoising steps, {@code partial_image} for
 * each preview the job asked for, and at the end one {@code job} event with the job object
 * {@code GET /v1/images/jobs/{id}} answers. A job already finished gets its {@code job} event at once; a feed
 * that reaches {@code kiln.api.wait.max-seconds} first ends with the job as it is then (reconnect to follow
 * on). The same key checks and 404s as {@code GET /v1/images/jobs/{id}}; errors before the feed starts are
 * ordinary JSON answers.
 */
@Path("/v1/images/jobs/{id}/events")
// Event-stream clients (browsers, SDKs) ask for text/event-stream; errors still answer JSON.
@Produces({ MediaType.APPLICATION_JSON, MediaType.SERVER_SENT_EVENTS })
public class JobEventsResource {
    private final ApiKeyAuthenticator auth;
    private final JobWaiter waiter;
    private final JobViews views;
    private final JobEventSubscriptions subscriptions;
    private final ApiRedis redis;
    private final ObjectStore store;
    private final Vertx vertx;
    private final Duration heartbeat;
    private final Duration maxWait;

    public JobEventsResource(ApiKeyAuthenticator auth, JobWaiter waiter, JobViews views,
            JobEventSubscriptions subscriptions, ApiRedis redis, ObjectStore store, Vertx vertx,
            ApiConfig config) {
        this.auth = auth;
        this.waiter = waiter;
        this.views = views;
        this.subscriptions = subscriptions;
        this.redis = redis;
        this.store = store;
        this.vertx = vertx;
        this.heartbeat = config.syncWait().streamHeartbeat();
        this.maxWait = Duration.ofSeconds(config.syncWait().maxSeconds());
    }

    @GET
    public CompletionStage<Response> events(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @PathParam("id") String id) {
        return auth.authenticateAsync(authorization).thenCompose(caller -> follow(caller, id));
    }

    private CompletionStage<Response> follow(Caller caller, String id) {
        Map<String, String> headers = caller.limits().headers();
        if (!RedisKeys.isValidJobId(id)) {
            throw notFound(id).withHeaders(headers);
        }
        // A feed waits for its job like a synchronous call, and counts against the same bound.
        if (!waiter.tryReserve()) {
            throw ApiException.unavailable(ErrorCodes.SERVER_BUSY,
                    "Too many callers are waiting for jobs; retry shortly or poll the job.", 1).withHeaders(headers);
        }
        SseChannel channel = new SseChannel();
        channel.onEnd(waiter::release);
        Feed feed = new Feed(caller.accountId(), id, channel);
        // Subscribed before the job is read, so that an end after the read is not missed.
        return subscriptions.subscribe(caller.accountId(), id, feed::onEvent)
                .thenCompose(subscription -> {
                    channel.onEnd(subscription::close);
                    return waiter.read(caller.accountId(), id);
                })
                .thenApply(r -> {
                    if (r == null) {
                        throw notFound(id).withHeaders(headers);
                    }
                    return ImageEventStreams.eventStream(new SseBody(channel, () -> feed.start(r)), headers).build();
                })
                .whenComplete((response, error) -> {
                    if (error != null) {
                        channel.end();
                    }
                });
    }

    private static ApiException notFound(String id) {
        return new ApiException(ErrorType.NOT_FOUND, "No job with id '" + id + "'.", null, ErrorCodes.NOT_FOUND);
    }

    /** One client following one job. */
    private final class Feed {
        private final String accountId;
        private final String jobId;
        private final SseChannel channel;
        private final AtomicBoolean sawProgress = new AtomicBoolean();

        Feed(String accountId, String jobId, SseChannel channel) {
            this.accountId = accountId;
            this.jobId = jobId;
            this.channel = channel;
        }

        void onEvent(ProgressEvent event) {
            sawProgress.set(true);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", event.type());
            m.put("step", event.step());
            m.put("steps", event.steps());
            if (event.isPartialImage()) {
                m.put("partial_image_index", event.partialImageIndex());
                m.put("b64_json", event.pngBase64());
                m.put("output_format", "png");
                m.put("size", event.width() + "x" + event.height());
            }
            channel.event(event.type(), m);
        }

        void start(JobRecord first) {
            ImageEventStreams.heartbeats(vertx, channel, heartbeat);
            if (first.status().isTerminal()) {
                finish(first);
                return;
            }
            ProgressChannel.latest(redis.commands(), accountId, jobId).thenAccept(latest -> {
                // A live event already said more than the stored step.
                if (latest != null && sawProgress.compareAndSet(false, true)) {
                    onEvent(latest);
                }
            });
            waiter.await(accountId, jobId, maxWait).whenComplete((r, error) -> {
                if (error != null || r == null) {
                    fail(error != null ? error : new IllegalStateException("job record " + jobId + " vanished"));
                } else if (r.status().isTerminal()) {
                    subscriptions.drained().whenComplete((ignored, e) -> finish(r));
                } else {
                    finish(r);
                }
            });
        }

        /** The {@code job} event (presigning its URLs on the storage pool), then the end. */
        private void finish(JobRecord r) {
            CompletableFuture.supplyAsync(() -> views.job(r), store.io()).whenComplete((job, error) -> {
                if (error != null) {
                    fail(error);
                    return;
                }
                channel.event("job", job);
                channel.end();
            });
        }

        private void fail(Throwable error) {
            channel.error(ErrorMappers.toApiException(error));
            channel.end();
        }
    }
}
