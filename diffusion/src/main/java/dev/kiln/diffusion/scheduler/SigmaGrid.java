package dev.kiln.diffusion.scheduler;

import java.util.Arrays;

/**
 * The inference grid of the k-diffusion style schedulers (Euler, Euler ancestral, LMS) in
 * diffusers 0.21.4: "linspace" timesteps, float32 sigmas interpolated at them with a trailing
 * 0, inputs scaled by {@code 1 / sqrt(sigma^2 + 1)} and img2img noise added as
 * {@code original + sigma * noise}. Lookups go by timestep value, as 0.21.4 does
 * ({@code (timesteps == t).nonzero()}), which for these unique grids is the global step index.
 */
final class SigmaGrid {

    private final double[] timesteps;
    private final float[] sigmas;

    SigmaGrid(NoiseSchedule schedule, int steps, boolean float32Timesteps) {
        Timesteps.checkSteps(steps, schedule.numTrainTimesteps());
        this.timesteps = Timesteps.linspace(steps, schedule.numTrainTimesteps(), float32Timesteps);
        this.sigmas = new float[steps + 1];
        for (int i = 0; i < steps; i++) {
            sigmas[i] = (float) schedule.interpolatedSigma(timesteps[i]);
        }
        sigmas[steps] = 0f;
    }

    static void checkSpacing(SchedulerConfig config, String name) {
        if (config.timestepSpacing() != null && !config.timestepSpacing().equals("linspace")) {
            throw new IllegalArgumentException(name + " supports timestep_spacing linspace only, got "
                    + config.timestepSpacing());
        }
    }

    double[] timesteps() {
        return timesteps.clone();
    }

    /** The {@code steps + 1} sigmas, the last one 0. */
    float[] sigmas() {
        return sigmas.clone();
    }

    int steps() {
        return timesteps.length;
    }

    float sigma(int globalIndex) {
        return sigmas[globalIndex];
    }

    /** Global step index of a timestep, found by value. */
    int indexOf(double timestep) {
        return Timesteps.indexOf(timesteps, timestep);
    }

    /** With linspace spacing diffusers uses the largest sigma itself, not {@code sqrt(max^2 + 1)}. */
    double initNoiseSigma() {
        float max = 0f;
        for (float s : sigmas) {
            max = Math.max(max, s);
        }
        return max;
    }

    float[] scaleModelInput(float[] sample, int globalIndex) {
        float sigma = sigmas[globalIndex];
        float divisor = (float) Math.sqrt(sigma * sigma + 1f);
        float[] out = new float[sample.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = sample[i] / divisor;
        }
        return out;
    }

    float[] addNoise(float[] original, float[] noise, int globalIndex) {
        AbstractRun.checkSameLength(original, noise);
        float sigma = sigmas[globalIndex];
        float[] out = new float[original.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = original[i] + noise[i] * sigma;
        }
        return out;
    }

    /** The run's executed timesteps: the grid from img2img's start index on. */
    double[] runTimesteps(int steps, double strength, String scheduler) {
        int start = Timesteps.img2imgStart(steps, strength);
        double[] run = Arrays.copyOfRange(timesteps, start, timesteps.length);
        Timesteps.requireSomeSteps(run.length, scheduler, steps, strength);
        return run;
    }
}
