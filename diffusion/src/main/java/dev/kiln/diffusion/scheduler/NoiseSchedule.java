package dev.kiln.diffusion.scheduler;

/**
 * The training noise schedule (betas → cumulative alphas → sigmas) in the float32 precision
 * diffusers computes it with: {@code torch.linspace(..., dtype=float32)} betas, a cumulative
 * product that PyTorch accumulates in double but stores as float32, and sigmas derived from those
 * float32 values. Every scheduler reads its coefficients from here, so rounding matches the
 * reference trajectories rather than an idealised float64 schedule.
 */
final class NoiseSchedule {

    private final float[] alphasCumprod;
    private final float[] trainSigmas;

    private NoiseSchedule(float[] alphasCumprod) {
        this.alphasCumprod = alphasCumprod;
        this.trainSigmas = new float[alphasCumprod.length];
        for (int t = 0; t < alphasCumprod.length; t++) {
            float a = alphasCumprod[t];
            trainSigmas[t] = (float) Math.sqrt((1f - a) / a);
        }
    }

    static NoiseSchedule of(SchedulerConfig config) {
        float[] betas = betas(config);
        float[] alphasCumprod = new float[betas.length];
        // torch.cumprod on CPU accumulates float32 input in double and rounds each output.
        double product = 1.0;
        for (int t = 0; t < betas.length; t++) {
            product *= (1f - betas[t]);
            alphasCumprod[t] = (float) product;
        }
        return new NoiseSchedule(alphasCumprod);
    }

    private static float[] betas(SchedulerConfig config) {
        int n = config.numTrainTimesteps();
        if (config.trainedBetas() != null) {
            float[] betas = new float[n];
            for (int i = 0; i < n; i++) {
                betas[i] = (float) config.trainedBetas()[i];
            }
            return betas;
        }
        return switch (config.betaSchedule()) {
            case "linear" -> torchLinspace((float) config.betaStart(), (float) config.betaEnd(), n);
            case "scaled_linear" -> {
                float[] roots = torchLinspace((float) Math.sqrt(config.betaStart()),
                        (float) Math.sqrt(config.betaEnd()), n);
                for (int i = 0; i < n; i++) {
                    roots[i] = roots[i] * roots[i];
                }
                yield roots;
            }
            default -> throw new IllegalArgumentException("unsupported beta_schedule " + config.betaSchedule()
                    + " (supported: linear, scaled_linear)");
        };
    }

    /**
     * {@code torch.linspace(start, end, steps, dtype=float32)}: float32 end points, interior points
     * computed in double and rounded once. Of the variants tried (float32 step, vectorised
     * arange blocks, NumPy's linspace), this one reproduces the reference's train sigmas most
     * often: 902 of SD 1.5's 1000 exactly, the rest within 2 float32 ulps (see the scheduler doc).
     */
    static float[] torchLinspace(float start, float end, int steps) {
        float[] out = new float[steps];
        if (steps == 1) {
            out[0] = start;
            return out;
        }
        double step = ((double) end - start) / (steps - 1);
        int halfway = steps / 2;
        for (int i = 0; i < steps; i++) {
            out[i] = (float) (i < halfway ? start + step * i : end - step * (steps - i - 1));
        }
        return out;
    }

    int numTrainTimesteps() {
        return alphasCumprod.length;
    }

    float alphaCumprod(int timestep) {
        return alphasCumprod[timestep];
    }

    /** {@code ((1 - alphas_cumprod) / alphas_cumprod) ** 0.5} at a train timestep, float32. */
    float trainSigma(int timestep) {
        return trainSigmas[timestep];
    }

    /** All train sigmas in timestep order (ascending noise), a copy. */
    float[] trainSigmas() {
        return trainSigmas.clone();
    }

    /**
     * {@code np.interp(timestep, arange(N), train_sigmas)}: linear interpolation of the float32
     * sigmas at a fractional timestep, in float64 as NumPy does it.
     */
    double interpolatedSigma(double timestep) {
        int last = trainSigmas.length - 1;
        if (timestep <= 0) {
            return trainSigmas[0];
        }
        if (timestep >= last) {
            return trainSigmas[last];
        }
        int j = (int) Math.floor(timestep);
        double slope = ((double) trainSigmas[j + 1] - trainSigmas[j]) / 1.0;
        return slope * (timestep - j) + trainSigmas[j];
    }

    /**
     * DDPM-style {@code add_noise} (PNDM, DDIM, DPM-Solver):
     * {@code sqrt(alphas_cumprod[t]) * original + sqrt(1 - alphas_cumprod[t]) * noise}, float32.
     */
    float[] addNoiseWithAlphas(float[] original, float[] noise, int timestep) {
        AbstractRun.checkSameLength(original, noise);
        float alpha = alphasCumprod[timestep];
        float sqrtAlpha = (float) Math.sqrt(alpha);
        float sqrtOneMinusAlpha = (float) Math.sqrt(1f - alpha);
        float[] out = new float[original.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = sqrtAlpha * original[i] + sqrtOneMinusAlpha * noise[i];
        }
        return out;
    }
}
