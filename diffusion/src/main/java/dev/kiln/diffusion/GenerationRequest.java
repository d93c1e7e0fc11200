package dev.kiln.diffusion;

import dev.kiln.diffusion.image.RgbImage;
import dev.kiln.diffusion.noise.NoiseSource;
import dev.kiln.diffusion.noise.SeededNoiseSource;

/**
 * One caller's request inside a batch.
 *
 * @param prompt the prompt
 * @param negativePrompt the negative prompt, or null for none ({@code ""} is encoded instead)
 * @param guidanceScale this request's classifier-free guidance scale
 * @param imagesPerPrompt how many images ({@code n})
 * @param seed seed of the request's {@link SeededNoiseSource}
 * @param initImage img2img input (resized to the batch size), or null for text-to-image
 * @param noise draws to use instead of the seed (tests, reference replays), or null
 */
public record GenerationRequest(String prompt, String negativePrompt, double guidanceScale, int imagesPerPrompt,
        long seed, RgbImage initImage, NoiseSource noise) {

    public GenerationRequest {
        if (prompt == null) {
            throw new IllegalArgumentException("prompt is required");
        }
        if (imagesPerPrompt < 1) {
            throw new IllegalArgumentException("imagesPerPrompt must be at least 1, got " + imagesPerPrompt);
        }
    }

    public static GenerationRequest textToImage(String prompt, double guidanceScale, int imagesPerPrompt, long seed) {
        return new GenerationRequest(prompt, null, guidanceScale, imagesPerPrompt, seed, null, null);
    }

    public GenerationRequest withNegativePrompt(String negative) {
        return new GenerationRequest(prompt, negative, guidanceScale, imagesPerPrompt, seed, initImage, noise);
    }

    public GenerationRequest withInitImage(RgbImage image) {
        return new GenerationRequest(prompt, negativePrompt, guidanceScale, imagesPerPrompt, seed, image, noise);
    }

    public GenerationRequest withNoise(NoiseSource source) {
        return new GenerationRequest(prompt, negativePrompt, guidanceScale, imagesPerPrompt, seed, initImage, source);
    }

    NoiseSource noiseSource() {
        return noise != null ? noise : new SeededNoiseSource(seed);
    }
}
