package dev.kiln.diffusion;

/**
 * Told after every denoising step of every request, for progress reports and previews.
 *
 * <p>
 * Called on the inference thread between UNet calls: an implementation must return at once (copy what it
 * needs, hand the work to another thread) or it slows every request in the batch.
 */
@FunctionalInterface
public interface StepListener {

    /** Listens to nothing. */
    StepListener NONE = progress -> {
    };

    void onStep(StepProgress progress);
}
