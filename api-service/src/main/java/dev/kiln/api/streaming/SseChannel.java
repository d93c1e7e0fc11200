package dev.kiln.api.streaming;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.spi.ServerHttpResponse;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.kiln.api.errors.ApiException;
import dev.kiln.api.errors.ErrorBody;

/**
 * One server-sent event stream. Events may be written before the HTTP response exists (a preview can arrive
 * between the job's admission and the answer): they wait in a bounded buffer and go out when the response is
 * attached. Writes come from Redis, timer and storage threads, so every write is serialised here. Each
 * message is {@code event: <name>\ndata: <json>\n\n}; heartbeats are comment lines.
 */
final class SseChannel {
    private static final Logger LOG = Logger.getLogger(SseChannel.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Messages kept until the response is attached: previews (at most 3 per job) and little else arrive then. */
    private static final int MAX_PENDING = 32;

    private final List<byte[]> pending = new ArrayList<>();
    private final List<Runnable> onEnd = new ArrayList<>();
    private final AtomicBoolean finished = new AtomicBoolean();
    private ServerHttpResponse response;
    private boolean ended;

    /** Runs {@code action} once, when the stream ends or its client goes away (immediately if it already has). */
    void onEnd(Runnable action) {
        synchronized (this) {
            if (!finished.get()) {
                onEnd.add(action);
                return;
            }
        }
        action.run();
    }

    synchronized void event(String name, Object data) {
        String json;
        try {
            json = JSON.writeValueAsString(data);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        write(("event: " + name + "\ndata: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
    }

    /** OpenAI's error event: {@code event: error} with the error body every SDK raises. */
    void error(ApiException e) {
        event("error", ErrorBody.of(e));
    }

    /** A comment line (clients ignore it; proxies see traffic). */
    synchronized void comment(String text) {
        write((": " + text + "\n\n").getBytes(StandardCharsets.US_ASCII));
    }

    private void write(byte[] message) {
        if (ended) {
            return;
        }
        if (response == null) {
            if (pending.size() < MAX_PENDING) {
                pending.add(message);
            } else {
                LOG.debugf("event stream buffer full; a message is dropped");
            }
            return;
        }
        if (!response.closed()) {
            response.write(message);
        }
    }

    /** The HTTP response is ready: what was written so far goes out, then everything as it is written. */
    void attach(ServerHttpResponse r) {
        boolean endedBefore;
        synchronized (this) {
            endedBefore = ended;
            response = r;
            r.addCloseHandler(this::finish);
            for (byte[] message : pending) {
                r.write(message);
            }
            pending.clear();
            if (endedBefore) {
                r.end();
            }
        }
        if (endedBefore) {
            finish();
        }
    }

    /** Ends the stream (the client sees the end of the body) and runs the {@link #onEnd} actions. */
    void end() {
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = true;
            // Without a response yet, attach() ends the one that comes.
            if (response != null && !response.closed()) {
                response.end();
            }
        }
        finish();
    }

    boolean isOpen() {
        return !finished.get();
    }

    private void finish() {
        List<Runnable> actions;
        synchronized (this) {
            if (!finished.compareAndSet(false, true)) {
                return;
            }
            ended = true;
            actions = List.copyOf(onEnd);
            onEnd.clear();
        }
        for (Runnable action : actions) {
            try {
                action.run();
            } catch (RuntimeException e) {
                LOG.warnf("cleanup after an event stream failed: %s", e.toString());
            }
        }
    }
}
