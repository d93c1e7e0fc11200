package dev.kiln.diffusion.scheduler;

import java.util.Arrays;

/** Timestep grids as diffusers 0.21.4's {@code set_timesteps} builds them, and img2img's cut. */
final class Timesteps {

    private Timesteps() {
    }

    /**
     * {@code timestep_spacing="leading"}: {@code (arange(steps) * (N // steps)).round()[::-1] + steps_offset}.
     */
    static int[] leading(int steps, int numTrainTimesteps, int stepsOffset) {
        int stepRatio = numTrainTimesteps / steps;
        int[] out = new int[steps];
        for (int i = 0; i < steps; i++) {
            out[steps - 1 - i] = i * stepRatio + stepsOffset;
        }
        return out;
    }

    /**
     * {@code timestep_spacing="linspace"}: {@code np.linspace(0, N - 1, steps)[::-1]}, rounded to
     * float32 when {@code float32} (Euler and Euler ancestral ask NumPy for float32, LMS for float64).
     */
    static double[] linspace(int steps, int numTrainTimesteps, boolean float32) {
        double[] grid = numpyLinspace(0, numTrainTimesteps - 1, steps);
        double[] out = new double[steps];
        for (int i = 0; i < steps; i++) {
            double t = grid[steps - 1 - i];
            out[i] = float32 ? (float) t : t;
        }
        return out;
    }

    /**
     * DPM-Solver's linspace grid: {@code np.linspace(0, N - 1, steps + 1).round()[::-1][:-1]}, with
     * duplicates removed as 0.21.4 does (they only appear when steps approaches N).
     */
    static int[] dpmLinspace(int steps, int numTrainTimesteps) {
        double[] grid = numpyLinspace(0, numTrainTimesteps - 1, steps + 1);
        int[] out = new int[steps];
        for (int i = 0; i < steps; i++) {
            out[i] = (int) Math.rint(grid[steps - i]);
        }
        return Arrays.stream(out).distinct().toArray();
    }

    /** {@code np.linspace(start, stop, num)}: {@code start + i * step}, with the end point exact. */
    static double[] numpyLinspace(double start, double stop, int num) {
        double[] out = new double[num];
        if (num == 1) {
            out[0] = start;
            return out;
        }
        double step = (stop - start) / (num - 1);
        for (int i = 0; i < num; i++) {
            out[i] = i * step + start;
        }
        out[num - 1] = stop;
        return out;
    }

    /**
     * Index of the first timestep an img2img run executes, as diffusers' {@code get_timesteps}:
     * {@code init_timestep = min(int(steps * strength), steps)}, {@code t_start = max(steps - init_timestep, 0)},
     * then {@code timesteps[t_start * order:]} with {@code order = 1} for every scheduler here.
     */
    static int img2imgStart(int steps, double strength) {
        if (!(strength >= 0.0 && strength <= 1.0)) {
            throw new IllegalArgumentException("strength must be within [0, 1], got " + strength);
        }
        int initTimestep = Math.min((int) (steps * strength), steps);
        return Math.max(steps - initTimestep, 0);
    }

    static void checkSteps(int steps, int numTrainTimesteps) {
        if (steps < 1 || steps > numTrainTimesteps) {
            throw new IllegalArgumentException("steps must be within [1, " + numTrainTimesteps + "], got " + steps);
        }
    }

    /** Fails the way Kiln defines a run that would execute no denoising step. */
    static void requireSomeSteps(int executed, String scheduler, int steps, double strength) {
        if (executed == 0) {
            throw new IllegalArgumentException("strength " + strength + " with " + steps + " steps runs no "
                    + scheduler + " denoising step (int(steps * strength) = 0); raise strength or steps");
        }
    }

    static int indexOf(double[] timesteps, double timestep) {
        for (int i = 0; i < timesteps.length; i++) {
            if (timesteps[i] == timestep) {
                return i;
            }
        }
        throw new IllegalStateException("timestep " + timestep + " is not in the schedule");
    }

    static double[] toDouble(int[] timesteps) {
        return Arrays.stream(timesteps).asDoubleStream().toArray();
    }
}
