package dev.kiln.api.streaming;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.kiln.api.ApiConfig;
import dev.kiln.api.errors.ApiException;
import dev.kiln.api.errors.ErrorMappers;
import dev.kiln.api.images.ImageStreams;
import dev.kiln.api.images.Submission;
import dev.kiln.api.jobs.JobViews;
import dev.kiln.api.jobs.JobWaiter;
import dev.kiln.api.jobs.ResponseFormat;
import dev.kiln.api.storage.ObjectStore;
import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.errors.ErrorType;
import dev.kiln.common.jobs.JobRecord;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.common.jobs.JobStatus;
import dev.kiln.common.jobs.OutputFormat;
import dev.kiln.common.jobs.ProgressEvent;
import io.vertx.core.Vertx;

/**
 * {@code stream: true} on {@code /v1/images/generations} and {@code /v1/images/edits}: OpenAI's image streaming
 * events as the SDKs' types declare them. {@code <prefix>.partial_image} for each preview the worker publishes,
 * then one {@code <prefix>.completed} per image ({@code image_generation} or {@code image_edit}); a job that
 * ends without images, or a wait that runs out, ends the stream with an {@code error} event. The job is
 * admitted and charged exactly as a synchronous call; a client that goes away neither cancels nor loses it.
 */
@ApplicationScoped
public class ImageEventStreams implements ImageStreams {
    private final JobEventSubscriptions subscriptions;
    private final JobWaiter waiter;
    private final JobViews views;
    private final ObjectStore store;
    private final Vertx vertx;
    private final Duration heartbeat;

    public ImageEventStreams(JobEventSubscriptions subscriptions, JobWaiter waiter, JobViews views, ObjectStore store,
            Vertx vertx, ApiConfig config) {
        this.subscriptions = subscriptions;
        this.waiter = waiter;
        this.views = views;
        this.store = store;
        this.vertx = vertx;
        this.heartbeat = config.syncWait().streamHeartbeat();
    }

    @Override
    public CompletionStage<PendingStream> open(Submission submission) {
        Stream stream = new Stream(submission);
        return subscriptions.subscribe(submission.spec().accountId(), submission.spec().jobId(), stream::onEvent)
                .thenApply(subscription -> {
                    stream.subscription = subscription;
                    return stream;
                });
    }

    /** Headers every event stream answers with: no caching, and no buffering by nginx-style proxies. */
    static Response.ResponseBuilder eventStream(Object body, Map<String, String> headers) {
        Response.ResponseBuilder b = Response.ok(body, MediaType.SERVER_SENT_EVENTS_TYPE)
                .header("Cache-Control", "no-cache").header("X-Accel-Buffering", "no");
        headers.forEach(b::header);
        return b;
    }

    /** Comment lines every {@code kiln.api.wait.stream-heartbeat} until the stream ends. */
    static void heartbeats(Vertx vertx, SseChannel channel, Duration period) {
        // One at once: the response head goes out now, not with the first event (a queued job may have none for
        // minutes, and fetch() resolves only on the head).
        channel.comment("open");
        long timer = vertx.setPeriodic(period.toMillis(), id -> channel.comment("keep-alive"));
        channel.onEnd(() -> vertx.cancelTimer(timer));
    }

    private final class Stream implements PendingStream {
        private final Submission submission;
        private final String prefix;
        private final SseChannel channel = new SseChannel();
        private volatile JobEventSubscriptions.Subscription subscription;

        Stream(Submission submission) {
            this.submission = submission;
            this.prefix = submission.request().edit() ? "image_edit" : "image_generation";
        }

        void onEvent(ProgressEvent event) {
            if (event.isPartialImage()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("type", prefix + ".partial_image");
                m.put("b64_json", event.pngBase64());
                m.put("created_at", event.atMillis() / 1000);
                echo(m, submission.spec());
                // The preview's bytes are PNG whatever the output format; say so rather than echo the request.
                m.put("output_format", OutputFormat.PNG.wire());
                m.put("partial_image_index", event.partialImageIndex());
                channel.event(prefix + ".partial_image", m);
            }
        }

        @Override
        public Response respond(String jobId, Map<String, String> headers, Runnable onEnd) {
            channel.onEnd(onEnd);
            String accountId = submission.spec().accountId();
            if (!jobId.equals(submission.spec().jobId())) {
                // A replay answers for an earlier job: follow that one (its earlier previews are gone).
                abandon();
                subscriptions.subscribe(accountId, jobId, this::onEvent).thenAccept(s -> {
                    subscription = s;
                    channel.onEnd(s::close);
                });
            } else {
                channel.onEnd(this::abandon);
            }
            return eventStream(new SseBody(channel, () -> start(accountId, jobId)), headers).build();
        }

        @Override
        public void abandon() {
            JobEventSubscriptions.Subscription s = subscription;
            if (s != null) {
                s.close();
            }
        }

        private void start(String accountId, String jobId) {
            heartbeats(vertx, channel, heartbeat);
            waiter.await(accountId, jobId, submission.prefer().maxWait())
                    .thenCompose(r -> r != null && r.status() == JobStatus.SUCCEEDED
                            ? subscriptions.drained().thenApplyAsync(ignored -> completed(r), store.io())
                            : CompletableFuture.<List<Event>> failedFuture(failure(r, jobId)))
                    .whenComplete((events, error) -> {
                        if (error != null) {
                            channel.error(ErrorMappers.toApiException(error));
                        } else {
                            events.forEach(e -> channel.event(e.type(), e.data()));
                        }
                        channel.end();
                    });
        }

        /** One {@code completed} event per image, read back from storage as the synchronous b64_json path does. */
        private List<Event> completed(JobRecord r) {
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> data = (List<Map<String, Object>>) views.images(r, ResponseFormat.B64_JSON)
                    .get("data");
            long createdAt = System.currentTimeMillis() / 1000;
            return data.stream().map(image -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("type", prefix + ".completed");
                m.put("b64_json", image.get("b64_json"));
                m.put("created_at", createdAt);
                echo(m, r.spec());
                m.put("usage", USAGE);
                return new Event(prefix + ".completed", m);
            }).toList();
        }

        private void echo(Map<String, Object> m, JobSpec spec) {
            m.put("size", spec.width() + "x" + spec.height());
            m.put("quality", submission.request().quality().wire());
            m.put("background", "opaque");
            m.put("output_format", spec.outputFormatOrPng().wire());
        }

        /** Why a job gave no images: how it ended, or that the wait ran out. */
        private RuntimeException failure(JobRecord r, String jobId) {
            if (r == null) {
                return new IllegalStateException("job record " + jobId + " vanished");
            }
            return r.status().isTerminal() ? JobViews.terminalError(r) : timedOut(jobId);
        }

        private ApiException timedOut(String jobId) {
            String location = "/v1/images/jobs/" + jobId;
            return new ApiException(ErrorType.GATEWAY_TIMEOUT, "Job " + jobId + " did not finish within "
                    + submission.prefer().maxWait().toSeconds() + " s; it is still running and is charged only if it"
                    + " succeeds. Poll GET " + location + " for its result instead of retrying.", null,
                    ErrorCodes.JOB_TIMEOUT, Map.of("Location", location), false);
        }
    }

    /** OpenAI reports tokens; SD 1.5 is billed per image, so every count is 0. */
    private static final Map<String, Object> USAGE = Map.of("input_tokens", 0, "output_tokens", 0, "total_tokens", 0,
            "input_tokens_details", Map.of("image_tokens", 0, "text_tokens", 0));

    /** One event to send: its name and JSON data. */
    record Event(String type, Object data) {
    }
}
