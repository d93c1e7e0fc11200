package dev.kiln.diffusion.scheduler;

import java.util.Arrays;

/**
 * diffusers' {@code DDIMScheduler} with {@code eta = 0} (deterministic DDIM): "leading" timesteps
 * plus {@code steps_offset}; each step predicts x0 and re-noises it to the previous timestep's
 * level along the predicted noise direction. {@code clip_sample} (clamping x0 to [-1, 1]) is
 * honoured; SD 1.5's config turns it off.
 */
final class DdimScheduler implements Scheduler {

    private final SchedulerConfig config;
    private final NoiseSchedule schedule;
    private final float finalAlphaCumprod;
    private final boolean clipSample;

    DdimScheduler(SchedulerConfig config) {
        if (config.timestepSpacing() != null && !config.timestepSpacing().equals("leading")) {
            throw new IllegalArgumentException("ddim supports timestep_spacing leading only, got "
                    + config.timestepSpacing());
        }
        this.config = config;
        this.schedule = NoiseSchedule.of(config);
        // DDIMScheduler's own default is set_alpha_to_one=True.
        boolean alphaToOne = config.setAlphaToOne() == null || config.setAlphaToOne();
        this.finalAlphaCumprod = alphaToOne ? 1f : schedule.alphaCumprod(0);
        // DDIMScheduler's own default is clip_sample=True (range 1.0); SD 1.5's config turns it off.
        this.clipSample = config.clipSample() == null || config.clipSample();
    }

    @Override
    public String name() {
        return "ddim";
    }

    int[] fullTimesteps(int steps) {
        Timesteps.checkSteps(steps, config.numTrainTimesteps());
        return Timesteps.leading(steps, config.numTrainTimesteps(), config.stepsOffset());
    }

    @Override
    public SchedulerRun start(int steps, double strength) {
        int[] full = fullTimesteps(steps);
        int[] run = Arrays.copyOfRange(full, Timesteps.img2imgStart(steps, strength), full.length);
        Timesteps.requireSomeSteps(run.length, name(), steps, strength);
        int stepRatio = config.numTrainTimesteps() / steps;
        return new AlphaRun(Timesteps.toDouble(run), schedule) {
            @Override
            float[] doStep(float[] modelOutput, int stepIndex, float[] sample, float[] noise) {
                int timestep = (int) timestep(stepIndex);
                int prevTimestep = timestep - stepRatio;
                double alphaProdT = schedule.alphaCumprod(timestep);
                double alphaProdTPrev = prevTimestep >= 0 ? schedule.alphaCumprod(prevTimestep) : finalAlphaCumprod;
                double sqrtBetaProdT = Math.sqrt(1 - alphaProdT);
                double sqrtAlphaProdT = Math.sqrt(alphaProdT);
                double sqrtAlphaProdTPrev = Math.sqrt(alphaProdTPrev);
                double directionCoeff = Math.sqrt(1 - alphaProdTPrev);
                float[] out = new float[sample.length];
                for (int i = 0; i < out.length; i++) {
                    double predOriginal = (sample[i] - sqrtBetaProdT * modelOutput[i]) / sqrtAlphaProdT;
                    if (clipSample) {
                        predOriginal = Math.max(-1.0, Math.min(1.0, predOriginal));
                    }
                    out[i] = (float) (sqrtAlphaProdTPrev * predOriginal + directionCoeff * modelOutput[i]);
                }
                return out;
            }
        };
    }
}
