package dev.kiln.api.images;

import dev.kiln.api.jobs.ResponseFormat;
import dev.kiln.common.jobs.OutputFormat;

/**
 * A validated image request, whichever endpoint it came from.
 *
 * @param model catalog model id (aliases and the default resolved)
 * @param prompt the prompt
 * @param negativePrompt or null
 * @param n images, 1..max-n
 * @param width pixels (after {@code size: auto} or scaling of a larger OpenAI size)
 * @param height pixels
 * @param responseFormat how images are returned
 * @param user OpenAI's end-user id, or null (accepted, not used)
 * @param inputPng the input image as PNG bytes (img2img), or null (text-to-image)
 * @param strength img2img strength (ignored for text-to-image)
 * @param steps denoising steps
 * @param guidanceScale CFG scale
 * @param seed client seed, or null for a random one
 * @param scheduler scheduler name
 * @param outputFormat encoding of the output images
 * @param outputCompression 0..100 for JPEG/WebP, or null for the encoder's default
 * @param quality OpenAI's quality as asked (echoed in the response)
 * @param fingerprint SHA-256 hex over the canonical request: what de-duplication compares;
 *        null when the request is not de-duplicated
 * @param stream answer with server-sent events (OpenAI's {@code stream: true})
 * @param partialImages previews the job publishes while it runs, 0..3 (OpenAI's {@code partial_images})
 * @param edit came to {@code /v1/images/edits} (its stream events are {@code image_edit.*})
 */
public record ImageRequest(String model, String prompt, String negativePrompt, int n, int width, int height,
        ResponseFormat responseFormat, String user, byte[] inputPng, double strength, int steps,
        double guidanceScale, Long seed, String scheduler, OutputFormat outputFormat,
        Integer outputCompression, Quality quality, String fingerprint,
        boolean stream, int partialImages, boolean edit) {

    public boolean isImg2Img() {
        return inputPng != null;
    }

    /** {@code WIDTHxHEIGHT}, as echoed in the response. */
    public String size() {
        return width + "x" + height;
    }
}
