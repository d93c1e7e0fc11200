package dev.kiln.common.jobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.Objects;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A message a worker publishes about a running job on {@link dev.kiln.common.redis.RedisKeys#jobEvents}: its
 * progress after a denoising step, or a preview ("partial image") of it. The latest progress message is also
 * stored under {@link dev.kiln.common.redis.RedisKeys#jobProgress} for polls. Terminal states are not sent here:
 * the settle script announces them on the job-done channel and the job record holds them.
 *
 * @param type {@link #PROGRESS} or {@link #PARTIAL_IMAGE}
 * @param jobId the job
 * @param step denoising steps done, 1-based
 * @param steps denoising steps the job runs in all (after strength; PNDM counts one more than asked)
 * @param partialImageIndex 0-based index of the preview among the job's previews, partial images only
 * @param pngBase64 the preview as a base64 PNG, partial images only
 * @param width preview width in pixels, partial images only
 * @param height preview height in pixels, partial images only
 * @param atMillis when the worker saw the step, epoch millis
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProgressEvent(
        @JsonProperty("type") String type,
        @JsonProperty("job_id") String jobId,
        @JsonProperty("step") int step,
        @JsonProperty("steps") int steps,
        @JsonProperty("partial_image_index") Integer partialImageIndex,
        @JsonProperty("png_b64") String pngBase64,
        @JsonProperty("width") Integer width,
        @JsonProperty("height") Integer height,
        @JsonProperty("at_ms") long atMillis) {

    public static final String PROGRESS = "progress";
    public static final String PARTIAL_IMAGE = "partial_image";

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    public ProgressEvent {
        Objects.requireNonNull(jobId, "jobId");
        if (!PROGRESS.equals(type) && !PARTIAL_IMAGE.equals(type)) {
            throw new IllegalArgumentException("unknown progress event type " + type);
        }
        if (steps < 1 || step < 0 || step > steps) {
            throw new IllegalArgumentException("step " + step + " of " + steps + " is not a step");
        }
        if (PARTIAL_IMAGE.equals(type) && (partialImageIndex == null || pngBase64 == null || width == null
                || height == null)) {
            throw new IllegalArgumentException("a partial image needs its index, PNG and size");
        }
    }

    public static ProgressEvent progress(String jobId, int step, int steps, long atMillis) {
        return new ProgressEvent(PROGRESS, jobId, step, steps, null, null, null, null, atMillis);
    }

    public static ProgressEvent partialImage(String jobId, int index, int step, int steps, byte[] png, int width,
            int height, long atMillis) {
        return new ProgressEvent(PARTIAL_IMAGE, jobId, step, steps, index, Base64.getEncoder().encodeToString(png),
                width, height, atMillis);
    }

    @JsonIgnore
    public boolean isPartialImage() {
        return PARTIAL_IMAGE.equals(type);
    }

    /** The preview's PNG bytes; null for a progress message. */
    public byte[] png() {
        return pngBase64 == null ? null : Base64.getDecoder().decode(pngBase64);
    }

    /** The same step as a plain progress message (what is stored for polls). */
    public ProgressEvent asProgress() {
        return isPartialImage() ? progress(jobId, step, steps, atMillis) : this;
    }

    public String toJson() {
        try {
            return MAPPER.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @throws IllegalArgumentException when the text is not a progress message */
    public static ProgressEvent fromJson(String json) {
        try {
            return MAPPER.readValue(json, ProgressEvent.class);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("malformed progress message: " + e.getMessage(), e);
        }
    }
}
