package dev.kiln.api.images;

import java.util.Map;
import java.util.concurrent.CompletionStage;

import jakarta.ws.rs.core.Response;

/**
 * Answers {@code stream: true} submissions with server-sent events. Implemented in
 * {@code dev.kiln.api.streaming}, which depends on this package and not the reverse.
 */
public interface ImageStreams {

    /**
     * Starts listening to the events of the submission's job before the job is admitted, so that no preview
     * its worker publishes is missed. Completes once the subscription is in place.
     */
    CompletionStage<PendingStream> open(Submission submission);

    /** A stream listening to its job, not answered yet. */
    interface PendingStream {

        /**
         * The {@code 200 text/event-stream} answer for {@code jobId}: the job just admitted, or the earlier job a
         * replayed request names. {@code onEnd} runs once, when the stream ends or its client goes away.
         */
        Response respond(String jobId, Map<String, String> headers, Runnable onEnd);

        /** The submission was refused or failed before it was answered: stop listening. */
        void abandon();
    }
}
