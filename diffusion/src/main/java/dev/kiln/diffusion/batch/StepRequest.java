package dev.kiln.diffusion.batch;

import java.util.Objects;
import java.util.function.BooleanSupplier;

import dev.kiln.diffusion.GenerationRequest;
import dev.kiln.diffusion.StepListener;

/**
 * One request handed to the {@link StepBatchExecutor}: everything a {@link dev.kiln.diffusion.BatchSettings}
 * fixes for a static batch is the request's own here.
 *
 * @param request prompt, negative prompt, guidance scale (classifier-free guidance when above 1: two UNet
 *        rows per image, otherwise one), images, seed or recorded draws, input image (img2img)
 * @param width output width in pixels (a multiple of the VAE scale factor)
 * @param height output height in pixels
 * @param steps inference steps as requested ({@code num_inference_steps})
 * @param strength img2img strength in (0, 1]; must be 1.0 for text-to-image
 * @param scheduler scheduler name, e.g. {@code euler_a}
 * @param listener told after each of this request's steps
 * @param cancelled polled at every step boundary; true drops the request (reported as cancelled)
 */
public record StepRequest(GenerationRequest request, int width, int height, int steps, double strength,
        String scheduler, StepListener listener, BooleanSupplier cancelled) {

    public StepRequest {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(scheduler, "scheduler");
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(cancelled, "cancelled");
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("size must be positive, got " + width + "x" + height);
        }
        if (steps <= 0) {
            throw new IllegalArgumentException("steps must be positive, got " + steps);
        }
        if (!(strength > 0 && strength <= 1)) {
            throw new IllegalArgumentException("strength must be in (0, 1], got " + strength);
        }
        if (request.initImage() == null && strength != 1.0) {
            throw new IllegalArgumentException("text-to-image runs at strength 1.0, got " + strength);
        }
    }

    /** A request without a listener or cancellation hook. */
    public static StepRequest of(GenerationRequest request, int width, int height, int steps, double strength,
            String scheduler) {
        return new StepRequest(request, width, height, steps, strength, scheduler, StepListener.NONE, () -> false);
    }

    public StepRequest withListener(StepListener value) {
        return new StepRequest(request, width, height, steps, strength, scheduler, value, cancelled);
    }

    public StepRequest withCancellation(BooleanSupplier value) {
        return new StepRequest(request, width, height, steps, strength, scheduler, listener, value);
    }

    public boolean guided() {
        return request.guidanceScale() > 1.0;
    }

    /** UNet rows per call: {@code n}, doubled with guidance. */
    public int rows() {
        return guided() ? 2 * request.imagesPerPrompt() : request.imagesPerPrompt();
    }
}
