package dev.kiln.diffusion.scheduler;

import java.util.Arrays;

/**
 * diffusers 0.21.4's {@code DPMSolverMultistepScheduler} with its defaults — DPM-Solver++ 2M:
 * {@code solver_order=2}, {@code algorithm_type="dpmsolver++"}, {@code solver_type="midpoint"},
 * {@code lower_order_final=True}, no Karras sigmas, "linspace" timesteps
 * ({@code linspace(0, N - 1, steps + 1).round()[::-1][:-1]}; {@code steps_offset} is unused).
 *
 * <p>
 * The model output is converted to a data (x0) prediction and integrated in
 * {@code lambda = log(alpha_t / sigma_t)}: the first step of a run is first order, later steps use
 * the previous x0 too, and with fewer than 15 steps the last step falls back to first order.
 * Coefficients come from 0.21.4's per-train-timestep {@code alpha_t}, {@code sigma_t},
 * {@code lambda_t} tables (float32); the final step goes to train timestep 0, not to sigma 0.
 */
final class DpmSolverMultistepScheduler implements Scheduler {

    static final int SOLVER_ORDER = 2;
    /** 0.21.4 only drops to lower order at the end for short schedules. */
    private static final int LOWER_ORDER_FINAL_BELOW_STEPS = 15;

    private final SchedulerConfig config;
    private final NoiseSchedule schedule;
    private final float[] alphaT;
    private final float[] sigmaT;
    private final float[] lambdaT;

    DpmSolverMultistepScheduler(SchedulerConfig config) {
        SigmaGrid.checkSpacing(config, "dpmpp_2m");
        this.config = config;
        this.schedule = NoiseSchedule.of(config);
        int n = config.numTrainTimesteps();
        alphaT = new float[n];
        sigmaT = new float[n];
        lambdaT = new float[n];
        for (int t = 0; t < n; t++) {
            float alphaCumprod = schedule.alphaCumprod(t);
            alphaT[t] = (float) Math.sqrt(alphaCumprod);
            sigmaT[t] = (float) Math.sqrt(1f - alphaCumprod);
            lambdaT[t] = (float) Math.log(alphaT[t]) - (float) Math.log(sigmaT[t]);
        }
    }

    @Override
    public String name() {
        return "dpmpp_2m";
    }

    int[] fullTimesteps(int steps) {
        Timesteps.checkSteps(steps, config.numTrainTimesteps());
        return Timesteps.dpmLinspace(steps, config.numTrainTimesteps());
    }

    /** The scheduler's {@code sigmas} attribute in 0.21.4: all train sigmas, ascending. */
    float[] sigmas() {
        return schedule.trainSigmas();
    }

    @Override
    public SchedulerRun start(int steps, double strength) {
        double[] full = Timesteps.toDouble(fullTimesteps(steps));
        int start = Timesteps.img2imgStart(steps, strength);
        double[] run = Arrays.copyOfRange(full, Math.min(start, full.length), full.length);
        Timesteps.requireSomeSteps(run.length, name(), steps, strength);
        return new Run(full, run);
    }

    private final class Run extends AlphaRun {
        private final double[] full;
        private float[] previousX0;
        private int lowerOrderNums;

        Run(double[] full, double[] run) {
            super(run, schedule);
            this.full = full;
        }

        @Override
        float[] doStep(float[] modelOutput, int stepIndex, float[] sample, float[] noise) {
            int s0 = (int) timestep(stepIndex);
            int index = Timesteps.indexOf(full, s0);
            int last = full.length - 1;
            int t = index == last ? 0 : (int) full[index + 1];
            boolean shortSchedule = full.length < LOWER_ORDER_FINAL_BELOW_STEPS;
            boolean lowerOrderFinal = index == last && shortSchedule;

            float[] x0 = new float[sample.length];
            for (int i = 0; i < x0.length; i++) {
                x0[i] = (sample[i] - sigmaT[s0] * modelOutput[i]) / alphaT[s0];
            }
            float[] prev;
            if (lowerOrderNums < 1 || lowerOrderFinal) {
                prev = firstOrder(x0, s0, t, sample);
            } else {
                // With solver_order 2, diffusers' lower_order_second branch is this same update.
                prev = secondOrder(x0, previousX0, (int) full[index - 1], s0, t, sample);
            }
            previousX0 = x0;
            if (lowerOrderNums < SOLVER_ORDER) {
                lowerOrderNums++;
            }
            return prev;
        }

        private float[] firstOrder(float[] x0, int s, int t, float[] sample) {
            float h = lambdaT[t] - lambdaT[s];
            float sampleCoeff = sigmaT[t] / sigmaT[s];
            float x0Coeff = alphaT[t] * ((float) Math.exp(-h) - 1f);
            float[] out = new float[sample.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = sampleCoeff * sample[i] - x0Coeff * x0[i];
            }
            return out;
        }

        /** Multistep DPM-Solver++(2M), midpoint form, as {@code multistep_dpm_solver_second_order_update}. */
        private float[] secondOrder(float[] m0, float[] m1, int s1, int s0, int t, float[] sample) {
            float h = lambdaT[t] - lambdaT[s0];
            float h0 = lambdaT[s0] - lambdaT[s1];
            float r0 = h0 / h;
            float sampleCoeff = sigmaT[t] / sigmaT[s0];
            float x0Coeff = alphaT[t] * ((float) Math.exp(-h) - 1f);
            float[] out = new float[sample.length];
            for (int i = 0; i < out.length; i++) {
                float d1 = (1f / r0) * (m0[i] - m1[i]);
                out[i] = sampleCoeff * sample[i] - x0Coeff * m0[i] - 0.5f * x0Coeff * d1;
            }
            return out;
        }
    }
}
