package dev.kiln.common.jobs;

import java.util.Objects;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What a worker needs to run one job: the value of a {@code kiln.jobs.v1} record (key = job id)
 * and the {@code spec} field of the job record in Redis. Carries references to S3 objects, never
 * image bytes.
 *
 * @param schemaVersion {@code v}, currently {@link #SCHEMA_VERSION}; readers skip unknown fields
 * @param jobId job id (also the Kafka key and the S3 key stem)
 * @param accountId owning account (locates the job record's Redis slot)
 * @param mode {@link #MODE_IMG2IMG} or {@link #MODE_TXT2IMG}
 * @param model catalog model id
 * @param prompt the prompt
 * @param negativePrompt negative prompt, or null
 * @param n images to produce (1..10)
 * @param width output width in pixels (multiple of 8)
 * @param height output height in pixels (multiple of 8)
 * @param steps denoising steps requested (before strength is applied)
 * @param guidanceScale classifier-free guidance scale (1 = guidance off)
 * @param strength img2img strength in [0, 1]; null for text-to-image
 * @param seed seed of image 0; image i uses {@code seed + i}
 * @param scheduler scheduler name (pndm, ddim, euler, euler_a, dpmpp_2m, lms)
 * @param inputKey S3 key of the input PNG (img2img), or null
 * @param createdAtMillis submit time, epoch millis
 * @param deadlineMillis after this epoch millis the job is expired, not run
 * @param partialImages previews to publish while the job runs (0..{@link #MAX_PARTIAL_IMAGES}); null (absent
 *        from the JSON) means 0
 * @param outputFormat encoding of the output images; null (absent) means {@link OutputFormat#PNG}
 * @param outputCompression quality of jpeg and webp outputs, 0..100 (100 = best); null means 100. Ignored for png
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobSpec(
        @JsonProperty("v") int schemaVersion,
        @JsonProperty("job_id") String jobId,
        @JsonProperty("account_id") String accountId,
        @JsonProperty("mode") String mode,
        @JsonProperty("model") String model,
        @JsonProperty("prompt") String prompt,
        @JsonProperty("negative_prompt") String negativePrompt,
        @JsonProperty("n") int n,
        @JsonProperty("width") int width,
        @JsonProperty("height") int height,
        @JsonProperty("steps") int steps,
        @JsonProperty("guidance_scale") double guidanceScale,
        @JsonProperty("strength") Double strength,
        @JsonProperty("seed") long seed,
        @JsonProperty("scheduler") String scheduler,
        @JsonProperty("input_key") String inputKey,
        @JsonProperty("created_at_ms") long createdAtMillis,
        @JsonProperty("deadline_ms") long deadlineMillis,
        @JsonProperty("partial_images") Integer partialImages,
        @JsonProperty("output_format") OutputFormat outputFormat,
        @JsonProperty("output_compression") Integer outputCompression) {

    /** Current value of {@code v}. */
    public static final int SCHEMA_VERSION = 1;
    public static final String MODE_IMG2IMG = "img2img";
    public static final String MODE_TXT2IMG = "txt2img";
    /** Most previews a job may ask for (OpenAI's {@code partial_images} limit). */
    public static final int MAX_PARTIAL_IMAGES = 3;

    public JobSpec {
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(mode, "mode");
        if (!MODE_IMG2IMG.equals(mode) && !MODE_TXT2IMG.equals(mode)) {
            throw new IllegalArgumentException("unknown mode " + mode);
        }
        if (MODE_IMG2IMG.equals(mode) && (inputKey == null || strength == null)) {
            throw new IllegalArgumentException("img2img needs inputKey and strength");
        }
        if (partialImages != null && (partialImages < 0 || partialImages > MAX_PARTIAL_IMAGES)) {
            throw new IllegalArgumentException("partial_images must be 0.." + MAX_PARTIAL_IMAGES + ", got "
                    + partialImages);
        }
        if (outputCompression != null && (outputCompression < 0 || outputCompression > 100)) {
            throw new IllegalArgumentException("output_compression must be 0..100, got " + outputCompression);
        }
    }

    /**
     * A spec without the optional output fields (no previews, PNG): the constructor specs had before those fields
     * existed, kept so producers that do not set them need not change.
     */
    public JobSpec(int schemaVersion, String jobId, String accountId, String mode, String model, String prompt,
            String negativePrompt, int n, int width, int height, int steps, double guidanceScale,
            Double strength, long seed, String scheduler, String inputKey, long createdAtMillis,
            long deadlineMillis) {
        this(schemaVersion, jobId, accountId, mode, model, prompt, negativePrompt, n, width, height, steps,
                guidanceScale, strength, seed, scheduler, inputKey, createdAtMillis, deadlineMillis, null, null, null);
    }

    /** This spec asking for {@code count} previews. */
    public JobSpec withPartialImages(int count) {
        return new JobSpec(schemaVersion, jobId, accountId, mode, model, prompt, negativePrompt, n, width, height,
                steps, guidanceScale, strength, seed, scheduler, inputKey, createdAtMillis, deadlineMillis, count,
                outputFormat, outputCompression);
    }

    /** This spec with an output format and compression (null for the format's default). */
    public JobSpec withOutput(OutputFormat format, Integer compression) {
        return new JobSpec(schemaVersion, jobId, accountId, mode, model, prompt, negativePrompt, n, width, height,
                steps, guidanceScale, strength, seed, scheduler, inputKey, createdAtMillis, deadlineMillis,
                partialImages, format, compression);
    }

    /** Previews asked for, 0 when absent. */
    @JsonIgnore
    public int partialImageCount() {
        return partialImages == null ? 0 : partialImages;
    }

    /** The output encoding, PNG when the spec names none. */
    @JsonIgnore
    public OutputFormat outputFormatOrPng() {
        return outputFormat == null ? OutputFormat.PNG : outputFormat;
    }

    /** Output quality 0..100 for lossy formats, 100 when absent. */
    @JsonIgnore
    public int compressionQuality() {
        return outputCompression == null ? 100 : outputCompression;
    }

    @JsonIgnore
    public boolean isImg2Img() {
        return MODE_IMG2IMG.equals(mode);
    }

}
