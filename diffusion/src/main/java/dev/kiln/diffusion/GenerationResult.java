package dev.kiln.diffusion;

import java.util.List;

/**
 * The images of a batch, grouped per request in request order, and the batch's timings.
 */
public record GenerationResult(List<List<GeneratedImage>> imagesPerRequest, StageTimings timings) {

    public List<GeneratedImage> images(int requestIndex) {
        return imagesPerRequest.get(requestIndex);
    }
}
