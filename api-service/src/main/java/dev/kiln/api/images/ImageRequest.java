package dev.kiln.api.images;

import dev.kiln.api.jobs.ResponseFormat;

/**
 * A validated image request, whichever endpoint it came from.
 *
 * @param model           catalog model id (resolved default applied)
 * @param prompt          the prompt
 * @param negativePrompt  or null
 * @param n               images, 1..max-n
 * @param width           pixels
 * @param height          pixels
 * @param responseFormat  how images are returned
 * @param user            OpenAI's end-user id, or null (kept for logs only)
 * @param inputPng        the input image as PNG bytes (img2img), or null (text-to-image)
 * @param strength        img2img strength (ignored for text-to-image)
 * @param steps           denoising steps
 * @param guidanceScale   CFG scale
 * @param seed            client seed, or null for a random one
 * @param scheduler       scheduler name
 * @param fingerprint     SHA-256 hex over the client-supplied fields: what Idempotency-Key compares;
 *                        null when the request has no Idempotency-Key
 */
public record ImageRequest(String model, String prompt, String negativePrompt, int n, int width, int height,
                           ResponseFormat responseFormat, String user, byte[] inputPng, double strength, int steps,
                           double guidanceScale, Long seed, String scheduler, String fingerprint) {

    public boolean isImg2Img() {
        return inputPng != null;
    }
}
