package dev.kiln.diffusion.scheduler;

/**
 * diffusers' {@code EulerAncestralDiscreteScheduler}: an Euler step down to {@code sigma_down},
 * then fresh Gaussian noise of scale {@code sigma_up} ("linspace" timesteps, float32 grid).
 */
final class EulerAncestralScheduler extends SigmaScheduler {

    EulerAncestralScheduler(SchedulerConfig config) {
        // EulerAncestralDiscreteScheduler asks NumPy for float32 timesteps.
        super(config, "euler_a", true);
    }

    @Override
    public SchedulerRun start(int steps, double strength) {
        SigmaGrid grid = grid(steps);
        return new SigmaRun(grid, grid.runTimesteps(steps, strength, name())) {
            @Override
            public boolean needsStepNoise() {
                return true;
            }

            @Override
            float[] doStep(float[] modelOutput, int stepIndex, float[] sample, float[] noise) {
                int index = globalIndex(stepIndex);
                float sigmaFrom = grid.sigma(index);
                float sigmaTo = grid.sigma(index + 1);
                float fromSquared = sigmaFrom * sigmaFrom;
                float toSquared = sigmaTo * sigmaTo;
                float sigmaUp = (float) Math.sqrt(toSquared * (fromSquared - toSquared) / fromSquared);
                // Mathematically >= 0; the clamp only guards float rounding against a NaN.
                float sigmaDown = (float) Math.sqrt(Math.max(0f, toSquared - sigmaUp * sigmaUp));
                float dt = sigmaDown - sigmaFrom;
                float[] out = new float[sample.length];
                for (int i = 0; i < out.length; i++) {
                    float predOriginal = sample[i] - sigmaFrom * modelOutput[i];
                    float derivative = (sample[i] - predOriginal) / sigmaFrom;
                    float prev = sample[i] + derivative * dt;
                    out[i] = prev + noise[i] * sigmaUp;
                }
                return out;
            }
        };
    }
}
