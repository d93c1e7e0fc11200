package dev.kiln.diffusion.scheduler;

/** A run over a {@link SigmaGrid}: maps the run's step index to the grid's global index. */
abstract class SigmaRun extends AbstractRun {

    final SigmaGrid grid;

    SigmaRun(SigmaGrid grid, double[] runTimesteps) {
        super(runTimesteps);
        this.grid = grid;
    }

    final int globalIndex(int stepIndex) {
        return grid.indexOf(timestep(stepIndex));
    }

    @Override
    public double initNoiseSigma() {
        return grid.initNoiseSigma();
    }

    @Override
    public float[] scaleModelInput(float[] sample, int stepIndex) {
        return grid.scaleModelInput(sample, globalIndex(stepIndex));
    }

    @Override
    public float[] addNoise(float[] original, float[] noise) {
        return grid.addNoise(original, noise, globalIndex(0));
    }
}
