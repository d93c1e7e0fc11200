package dev.kiln.diffusion.scheduler;

/**
 * diffusers' {@code EulerDiscreteScheduler} (defaults: no churn, linear sigma interpolation,
 * "linspace" timesteps): the first-order Euler method on the probability-flow ODE in sigma.
 */
final class EulerScheduler extends SigmaScheduler {

    EulerScheduler(SchedulerConfig config) {
        // EulerDiscreteScheduler asks NumPy for float32 timesteps.
        super(config, "euler", true);
    }

    @Override
    public SchedulerRun start(int steps, double strength) {
        SigmaGrid grid = grid(steps);
        return new SigmaRun(grid, grid.runTimesteps(steps, strength, name())) {
            @Override
            float[] doStep(float[] modelOutput, int stepIndex, float[] sample, float[] noise) {
                int index = globalIndex(stepIndex);
                float sigma = grid.sigma(index);
                float dt = grid.sigma(index + 1) - sigma;
                float[] out = new float[sample.length];
                for (int i = 0; i < out.length; i++) {
                    // Written as diffusers does (x0, then derivative) so float32 rounding matches.
                    float predOriginal = sample[i] - sigma * modelOutput[i];
                    float derivative = (sample[i] - predOriginal) / sigma;
                    out[i] = sample[i] + derivative * dt;
                }
                return out;
            }
        };
    }
}
