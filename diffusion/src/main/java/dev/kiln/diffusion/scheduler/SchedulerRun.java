package dev.kiln.diffusion.scheduler;

/**
 * One denoising run: the timesteps that execute and the step function, over a flat NCHW float
 * latent batch. Every operation is element-wise per sample, so rows of different requests can
 * share a run without influencing each other.
 */
public interface SchedulerRun {

    /** Timesteps executed, in order, one UNet call each (PNDM repeats one timestep). */
    double[] timesteps();

    /** Multiplier applied to initial text-to-image noise ({@code init_noise_sigma}). */
    double initNoiseSigma();

    /** Returns {@code scale_model_input(sample, timesteps()[stepIndex])} as a new array. */
    float[] scaleModelInput(float[] sample, int stepIndex);

    /**
     * Returns {@code add_noise(original, noise, timesteps()[0])}: img2img's noised start latents.
     */
    float[] addNoise(float[] original, float[] noise);

    /** Whether {@link #step} consumes fresh noise each step (Euler ancestral). */
    boolean needsStepNoise();

    /**
     * One scheduler step: returns {@code prev_sample}. {@code noise} is the step's random draw
     * when {@link #needsStepNoise()} is true, otherwise ignored (may be null).
     */
    float[] step(float[] modelOutput, int stepIndex, float[] sample, float[] noise);
}
