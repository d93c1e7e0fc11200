package dev.kiln.diffusion.scheduler;

/**
 * Shared bookkeeping of a run: the executed timesteps and the rule that stateful schedulers see
 * their steps in order, once each (their history would silently be wrong otherwise).
 */
abstract class AbstractRun implements SchedulerRun {

    private final double[] timesteps;
    private int nextStep;

    AbstractRun(double[] timesteps) {
        this.timesteps = timesteps;
    }

    @Override
    public final double[] timesteps() {
        return timesteps.clone();
    }

    final double timestep(int stepIndex) {
        if (stepIndex < 0 || stepIndex >= timesteps.length) {
            throw new IndexOutOfBoundsException("step " + stepIndex + " of a run with " + timesteps.length + " steps");
        }
        return timesteps[stepIndex];
    }

    @Override
    public boolean needsStepNoise() {
        return false;
    }

    @Override
    public final float[] step(float[] modelOutput, int stepIndex, float[] sample, float[] noise) {
        timestep(stepIndex);
        if (stepIndex != nextStep) {
            throw new IllegalStateException("step " + stepIndex + " called, expected step " + nextStep
                    + ": a run's steps must be taken in order, once each");
        }
        if (modelOutput.length != sample.length) {
            throw new IllegalArgumentException("model output has " + modelOutput.length
                    + " values, sample " + sample.length);
        }
        if (needsStepNoise() && (noise == null || noise.length != sample.length)) {
            throw new IllegalArgumentException("this scheduler needs a noise draw the size of the sample");
        }
        float[] prev = doStep(modelOutput, stepIndex, sample, noise);
        nextStep++;
        return prev;
    }

    abstract float[] doStep(float[] modelOutput, int stepIndex, float[] sample, float[] noise);

    static void checkSameLength(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("arrays differ in length: " + a.length + " vs " + b.length);
        }
    }
}
