package dev.kiln.worker.batching;

import java.util.Objects;

/**
 * What jobs must share to run in one batch, i.e. in one denoising loop over a stacked latent
 * tensor: the same model, latent size, timestep schedule and UNet batch layout.
 *
 * <p>
 * Prompts, negative prompts, seeds, input images and the guidance <em>scale</em> are per image
 * and deliberately not part of the key: the pipeline applies them per batch row. Whether guidance
 * is on is part of it, because classifier-free guidance doubles the UNet batch.
 *
 * <p>
 * Strength enters only through the schedule it implies, {@link #executedSteps()}: two jobs
 * with the same {@code steps}, {@code scheduler} and executed steps start at the same timestep and
 * step through the same timesteps, so strengths 0.70 and 0.71 at 20 steps (both 14 steps) batch
 * together. The {@link Mode} is part of the key because one pipeline call starts every row the same
 * way: from noise (text-to-image) or from encoded input images (image-to-image).
 *
 * @param model model id as the catalog names it
 * @param mode how the latents start
 * @param widthPixels output width
 * @param heightPixels output height
 * @param steps requested number of inference steps (sizes the scheduler's timestep table)
 * @param executedSteps denoising steps actually run, see {@link #executedSteps(int, double)};
 *        a worker whose pipeline derives the start step differently passes its own value here
 * @param scheduler scheduler name as the API names it ({@code pndm}, {@code euler_a}, ...)
 * @param guided whether classifier-free guidance is on ({@code guidance_scale > 1})
 */
public record CompatibilityKey(
        String model,
        Mode mode,
        int widthPixels,
        int heightPixels,
        int steps,
        int executedSteps,
        String scheduler,
        boolean guided) {

    /** How a run's latents start. */
    public enum Mode {
        /** From seeded noise. */
        TEXT_TO_IMAGE,
        /** From the encoded input image, noised to the strength's first timestep. */
        IMAGE_TO_IMAGE
    }

    /** Validates the key. */
    public CompatibilityKey {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(scheduler, "scheduler");
        if (widthPixels < 1 || heightPixels < 1) {
            throw new IllegalArgumentException("size must be positive, was " + widthPixels + "x" + heightPixels);
        }
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be >= 1, was " + steps);
        }
        if (executedSteps < 0 || executedSteps > steps) {
            throw new IllegalArgumentException(
                    "executedSteps must be in [0, steps=" + steps + "], was " + executedSteps);
        }
    }

    /**
     * The key of a job as the API describes it.
     *
     * @param strength img2img strength in [0, 1]; 1.0 for text-to-image
     * @param guidanceScale classifier-free guidance scale; guidance is on when it exceeds 1
     */
    public static CompatibilityKey of(
            String model,
            Mode mode,
            int widthPixels,
            int heightPixels,
            int steps,
            double strength,
            String scheduler,
            double guidanceScale) {
        return new CompatibilityKey(
                model, mode, widthPixels, heightPixels, steps, executedSteps(steps, strength), scheduler,
                isGuided(guidanceScale));
    }

    /**
     * Denoising steps an img2img run of {@code steps} at {@code strength} executes, as diffusers'
     * {@code StableDiffusionImg2ImgPipeline.get_timesteps}: {@code min(int(steps * strength), steps)}.
     * The product is computed in double precision and truncated like Python's {@code int()}, so
     * the same inputs give the same start step as the reference pipeline. Schedulers of order 2
     * scale the start index by their order, which is a function of the scheduler in the key.
     */
    public static int executedSteps(int steps, double strength) {
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be >= 1, was " + steps);
        }
        if (!(strength >= 0.0 && strength <= 1.0)) {
            throw new IllegalArgumentException("strength must be in [0, 1], was " + strength);
        }
        return Math.min((int) (steps * strength), steps);
    }

    /** Classifier-free guidance is on when the scale exceeds 1, as in diffusers. */
    public static boolean isGuided(double guidanceScale) {
        return guidanceScale > 1.0;
    }
}
