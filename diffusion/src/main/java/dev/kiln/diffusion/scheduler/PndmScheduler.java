package dev.kiln.diffusion.scheduler;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Iterator;

/**
 * diffusers' {@code PNDMScheduler} with {@code skip_prk_steps} (SD 1.5's default scheduler):
 * pseudo linear multi-step (PLMS). Timesteps are "leading" spaced plus {@code steps_offset}, and
 * the second-to-first timestep is repeated: the second UNet call re-does the first step with the
 * average of both noise predictions, so a run makes one more UNet call than {@code steps}.
 */
final class PndmScheduler implements Scheduler {

    /** PLMS uses at most the last four noise predictions. */
    private static final int HISTORY = 4;

    private final SchedulerConfig config;
    private final NoiseSchedule schedule;
    private final float finalAlphaCumprod;

    PndmScheduler(SchedulerConfig config) {
        if (!config.skipPrkSteps()) {
            throw new IllegalArgumentException("PNDM with Runge-Kutta warm-up steps (skip_prk_steps=false) is not "
                    + "implemented; SD 1.5 uses skip_prk_steps=true");
        }
        if (config.timestepSpacing() != null && !config.timestepSpacing().equals("leading")) {
            throw new IllegalArgumentException("pndm supports timestep_spacing leading only, got "
                    + config.timestepSpacing());
        }
        this.config = config;
        this.schedule = NoiseSchedule.of(config);
        boolean alphaToOne = config.setAlphaToOne() != null && config.setAlphaToOne();
        this.finalAlphaCumprod = alphaToOne ? 1f : schedule.alphaCumprod(0);
    }

    @Override
    public String name() {
        return "pndm";
    }

    /** PLMS timesteps of a full run: leading grid, descending, with its second entry repeated. */
    int[] fullTimesteps(int steps) {
        Timesteps.checkSteps(steps, config.numTrainTimesteps());
        int[] descending = Timesteps.leading(steps, config.numTrainTimesteps(), config.stepsOffset());
        if (steps == 1) {
            return descending;
        }
        int[] out = new int[steps + 1];
        out[0] = descending[0];
        System.arraycopy(descending, 1, out, 2, steps - 1);
        out[1] = descending[1];
        return out;
    }

    @Override
    public SchedulerRun start(int steps, double strength) {
        int[] full = fullTimesteps(steps);
        int start = Timesteps.img2imgStart(steps, strength);
        int[] run = Arrays.copyOfRange(full, start, full.length);
        Timesteps.requireSomeSteps(run.length, name(), steps, strength);
        return new Run(Timesteps.toDouble(run), config.numTrainTimesteps() / steps);
    }

    private final class Run extends AlphaRun {
        private final int stepRatio;
        private final Deque<float[]> ets = new ArrayDeque<>();
        private float[] curSample;
        private int counter;

        Run(double[] timesteps, int stepRatio) {
            super(timesteps, schedule);
            this.stepRatio = stepRatio;
        }

        @Override
        float[] doStep(float[] modelOutput, int stepIndex, float[] sample, float[] noise) {
            int timestep = (int) timestep(stepIndex);
            int prevTimestep = timestep - stepRatio;
            if (counter != 1) {
                ets.addLast(modelOutput.clone());
                if (ets.size() > HISTORY) {
                    ets.removeFirst();
                }
            } else {
                // The repeated timestep: redo the first step from its start with averaged noise.
                prevTimestep = timestep;
                timestep = timestep + stepRatio;
            }
            float[] eps;
            float[] base = sample;
            if (ets.size() == 1 && counter == 0) {
                eps = modelOutput;
                curSample = sample.clone();
            } else if (ets.size() == 1 && counter == 1) {
                eps = combine(new double[] { 0.5, 0.5 }, modelOutput, ets.getLast());
                base = curSample;
                curSample = null;
            } else {
                eps = plms();
            }
            counter++;
            return prevSample(base, timestep, prevTimestep, eps);
        }

        /** Adams–Bashforth weights over the newest-first history of noise predictions. */
        private float[] plms() {
            Iterator<float[]> newestFirst = ets.descendingIterator();
            float[] e1 = newestFirst.next();
            float[] e2 = newestFirst.next();
            return switch (ets.size()) {
                case 2 -> combine(new double[] { 3 / 2.0, -1 / 2.0 }, e1, e2);
                case 3 -> combine(new double[] { 23 / 12.0, -16 / 12.0, 5 / 12.0 }, e1, e2, newestFirst.next());
                default -> {
                    float[] e3 = newestFirst.next();
                    yield combine(new double[] { 55 / 24.0, -59 / 24.0, 37 / 24.0, -9 / 24.0 },
                            e1, e2, e3, newestFirst.next());
                }
            };
        }

        /** PNDM paper formula (9), as diffusers' {@code _get_prev_sample}. */
        private float[] prevSample(float[] sample, int timestep, int prevTimestep, float[] eps) {
            double alphaProdT = schedule.alphaCumprod(timestep);
            double alphaProdTPrev = prevTimestep >= 0 ? schedule.alphaCumprod(prevTimestep) : finalAlphaCumprod;
            double betaProdT = 1 - alphaProdT;
            double betaProdTPrev = 1 - alphaProdTPrev;
            double sampleCoeff = Math.sqrt(alphaProdTPrev / alphaProdT);
            double denominator = alphaProdT * Math.sqrt(betaProdTPrev)
                    + Math.sqrt(alphaProdT * betaProdT * alphaProdTPrev);
            double epsCoeff = (alphaProdTPrev - alphaProdT) / denominator;
            float[] out = new float[sample.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) (sampleCoeff * sample[i] - epsCoeff * eps[i]);
            }
            return out;
        }
    }

    private static float[] combine(double[] weights, float[]... terms) {
        float[] out = new float[terms[0].length];
        for (int i = 0; i < out.length; i++) {
            double sum = 0;
            for (int k = 0; k < terms.length; k++) {
                sum += weights[k] * terms[k][i];
            }
            out[i] = (float) sum;
        }
        return out;
    }
}
