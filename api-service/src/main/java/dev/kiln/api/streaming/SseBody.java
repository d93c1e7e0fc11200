package dev.kiln.api.streaming;

import org.jboss.resteasy.reactive.server.spi.ServerHttpResponse;

/**
 * The entity of a {@code text/event-stream} answer: {@link SseBodyWriter} hands it the HTTP response, after
 * which the stream writes on its own schedule and ends the response itself.
 *
 * @param channel the stream's events
 * @param onStart what starts producing them (waiting for the job, heartbeats), once the response is attached
 */
public record SseBody(SseChannel channel, Runnable onStart) {

    void start(ServerHttpResponse response) {
        channel.attach(response);
        onStart.run();
    }
}
