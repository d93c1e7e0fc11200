package dev.kiln.diffusion;

import java.util.function.Supplier;

/**
 * One request after one denoising step.
 *
 * @param request the request, as handed to the pipeline
 * @param step steps done so far, 1-based ({@code step == steps} after the last)
 * @param steps denoising steps (UNet calls) this request runs in all: after strength, and one more than asked
 *        for PNDM, which evaluates its first timestep twice
 * @param latentHeight latent rows
 * @param latentWidth latent columns
 * @param latents a copy of the latents of the request's first image after the step, {@code [channels,
 *                     latentHeight, latentWidth]} in the scheduler's space (the VAE latents times the VAE scaling
 *        factor, plus the noise left at this step); copied only when asked for, and valid to ask only
 *        during {@link StepListener#onStep}
 */
public record StepProgress(GenerationRequest request, int step, int steps, int latentHeight, int latentWidth,
        Supplier<float[]> latents) {
}
