package dev.kiln.tools.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.kiln.local.SampleImage;

/**
 * Submits a {@link PlannedJob} as a client that wants its job accepted would: {@code Prefer: respond-async},
 * and on a 5xx, a 429 or no answer at all, the same request again under the same Idempotency-Key (so a
 * retry of a request that was in fact admitted gets that job back), until a 202 or the submit timeout.
 */
final class ChaosClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(250);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);
    private static final String INPUT_IMAGE = "data:image/png;base64,"
            + Base64.getEncoder().encodeToString(SampleImage.png(64, 64));

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Supplier<URI> apiBase;
    private final String size;
    private final int steps;
    private final Duration submitTimeout;

    /** @param apiBase the API's root, asked on every attempt (the API may have been restarted) */
    ChaosClient(Supplier<URI> apiBase, String size, int steps, Duration submitTimeout) {
        this.apiBase = apiBase;
        this.size = size;
        this.steps = steps;
        this.submitTimeout = submitTimeout;
    }

    SubmitResult submit(PlannedJob job) {
        long deadlineNanos = System.nanoTime() + submitTimeout.toNanos();
        byte[] body = body(job);
        Duration backoff = FIRST_BACKOFF;
        String failure = null;
        int attempts = 0;
        while (true) {
            attempts++;
            try {
                HttpResponse<String> response = http.send(request(job, body), HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status == 202) {
                    return new SubmitResult(job, JSON.readTree(response.body()).path("id").asText(), attempts, null);
                }
                failure = status + " " + response.body();
                if (status < 500 && status != 429) {
                    return new SubmitResult(job, null, attempts, failure);
                }
            } catch (IOException e) {
                failure = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new SubmitResult(job, null, attempts, "interrupted after: " + failure);
            }
            if (System.nanoTime() + backoff.toNanos() - deadlineNanos > 0) {
                return new SubmitResult(job, null, attempts, "gave up after " + submitTimeout.toSeconds()
                        + " s; last: " + failure);
            }
            pause(backoff);
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
    }

    private HttpRequest request(PlannedJob job, byte[] body) {
        return HttpRequest.newBuilder(apiBase.get().resolve("v1/images/generations")).timeout(CALL_TIMEOUT)
                .header("Authorization", job.account().bearer())
                .header("Prefer", "respond-async")
                .header("Idempotency-Key", job.idempotencyKey())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    }

    private byte[] body(PlannedJob job) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("prompt", "chaos " + job.idempotencyKey());
        fields.put("n", job.n());
        fields.put("size", size);
        fields.put("steps", steps);
        fields.put("scheduler", "ddim");
        if (job.img2img()) {
            fields.put("image", INPUT_IMAGE);
            fields.put("strength", 0.6);
        }
        try {
            return JSON.writeValueAsBytes(fields);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
