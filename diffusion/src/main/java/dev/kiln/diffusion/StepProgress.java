package dev.kiln.diffusion;

import java.util.function.Supplier;

/**
 * One request after one denoising step.
 *
 * @param request      the request, as handed to the pipeline
 * @param step         steps done so far, 1-based ({@code step == steps} after the last)
 * @param steps        denoising steps this request runs in all (after strength)
 * @param latentHeight latent rows
 * @param latentWidth  latent columns
 * @param latents      a copy of this request's latents after the step, {@code [channels, latentHeight,
 *                     latentWidth]} in the scheduler's (unscaled) space; computed only when asked for
 */
public record StepProgress(GenerationRequest request, int step, int steps, int latentHeight, int latentWidth,
                           Supplier<float[]> latents) {
}
