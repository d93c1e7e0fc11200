package dev.kiln.diffusion.scheduler;

/**
 * A run of a scheduler that works in alpha parameterisation (PNDM, DDIM, DPM-Solver): the UNet sees
 * the latents unscaled, text-to-image noise has unit sigma, and img2img noise is added with
 * {@code sqrt(alpha_cumprod)} at the first executed timestep.
 */
abstract class AlphaRun extends AbstractRun {

    private final NoiseSchedule schedule;

    AlphaRun(double[] timesteps, NoiseSchedule schedule) {
        super(timesteps);
        this.schedule = schedule;
    }

    @Override
    public final double initNoiseSigma() {
        return 1.0;
    }

    @Override
    public final float[] scaleModelInput(float[] sample, int stepIndex) {
        timestep(stepIndex);
        return sample.clone();
    }

    @Override
    public final float[] addNoise(float[] original, float[] noise) {
        return schedule.addNoiseWithAlphas(original, noise, (int) timestep(0));
    }
}
