package dev.kiln.diffusion.scheduler;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;

/**
 * diffusers' {@code LMSDiscreteScheduler} (order 4, "linspace" timesteps, float64 grid): a linear
 * multistep method in sigma whose coefficients integrate Lagrange basis polynomials over the next
 * sigma interval.
 *
 * <p>
 * diffusers 0.21.4 takes the method's order from the <em>global</em> step index
 * ({@code min(step_index + 1, 4)}) but only has the derivatives of the steps this run executed,
 * and zips the two lists. An img2img run that starts mid-schedule therefore weighs its first
 * derivative by the first coefficient of the order-4 formula. Kiln reproduces that, because the
 * reference is diffusers' output, not the textbook method.
 */
final class LmsScheduler extends SigmaScheduler {

    static final int ORDER = 4;

    // Gauss–Legendre nodes/weights on [-1, 1]; 4 points integrate degree <= 7 exactly, and the
    // Lagrange basis here has degree <= ORDER - 1 = 3 (diffusers uses scipy quad for the same).
    private static final double[] NODES = {
            -0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526 };
    private static final double[] WEIGHTS = {
            0.3478548451374538, 0.6521451548625461, 0.6521451548625461, 0.3478548451374538 };

    LmsScheduler(SchedulerConfig config) {
        // LMSDiscreteScheduler builds its timesteps in float64.
        super(config, "lms", false);
    }

    /**
     * diffusers' {@code get_lms_coefficient(order, t, current_order)}: the integral from
     * {@code sigmas[t]} to {@code sigmas[t + 1]} of the Lagrange basis polynomial of node
     * {@code t - current_order} over the nodes {@code t, t - 1, ..., t - order + 1}.
     */
    static double coefficient(float[] sigmas, int order, int t, int currentOrder) {
        double from = sigmas[t];
        double to = sigmas[t + 1];
        double halfWidth = (to - from) / 2;
        double mid = (to + from) / 2;
        double integral = 0;
        for (int q = 0; q < NODES.length; q++) {
            double tau = mid + halfWidth * NODES[q];
            double product = 1.0;
            for (int k = 0; k < order; k++) {
                if (k == currentOrder) {
                    continue;
                }
                product *= (tau - sigmas[t - k]) / ((double) sigmas[t - currentOrder] - sigmas[t - k]);
            }
            integral += WEIGHTS[q] * product;
        }
        return integral * halfWidth;
    }

    @Override
    public SchedulerRun start(int steps, double strength) {
        SigmaGrid grid = grid(steps);
        float[] sigmas = grid.sigmas();
        return new SigmaRun(grid, grid.runTimesteps(steps, strength, name())) {
            private final Deque<float[]> derivatives = new ArrayDeque<>();

            @Override
            float[] doStep(float[] modelOutput, int stepIndex, float[] sample, float[] noise) {
                int index = globalIndex(stepIndex);
                float sigma = grid.sigma(index);
                float[] derivative = new float[sample.length];
                for (int i = 0; i < derivative.length; i++) {
                    float predOriginal = sample[i] - sigma * modelOutput[i];
                    derivative[i] = (sample[i] - predOriginal) / sigma;
                }
                derivatives.addLast(derivative);
                if (derivatives.size() > ORDER) {
                    derivatives.removeFirst();
                }
                int order = Math.min(index + 1, ORDER);
                int terms = Math.min(order, derivatives.size());
                float[] coefficients = new float[terms];
                for (int c = 0; c < terms; c++) {
                    coefficients[c] = (float) coefficient(sigmas, order, index, c);
                }
                float[] sum = new float[sample.length];
                Iterator<float[]> newestFirst = derivatives.descendingIterator();
                for (int c = 0; c < terms; c++) {
                    float[] d = newestFirst.next();
                    for (int i = 0; i < sum.length; i++) {
                        sum[i] += coefficients[c] * d[i];
                    }
                }
                float[] out = new float[sample.length];
                for (int i = 0; i < out.length; i++) {
                    out[i] = sample[i] + sum[i];
                }
                return out;
            }
        };
    }
}
