package dev.kiln.tools.bench;

import java.util.function.Supplier;

import dev.kiln.diffusion.batch.StepModels;
import dev.kiln.diffusion.model.OnnxModel;
import dev.kiln.diffusion.model.StableDiffusionModels;

/** Real model calls whose measured wall time advances the benchmark's clock (the {@code --onnx} mode). */
final class TimedModels implements ClockedModels {

    private final StepModels models;
    private final AutoCloseable owned;
    private double clockMillis;

    /** @param owned closed with this object (the sessions {@code models} runs on) */
    TimedModels(StepModels models, AutoCloseable owned) {
        this.models = models;
        this.owned = owned;
    }

    @Override
    public double clockMillis() {
        return clockMillis;
    }

    @Override
    public void advanceTo(double millis) {
        clockMillis = Math.max(clockMillis, millis);
    }

    @Override
    public void rewindTo(double millis) {
        clockMillis = Math.min(clockMillis, millis);
    }

    private <T> T timed(Supplier<T> call) {
        long t0 = System.nanoTime();
        try {
            return call.get();
        } finally {
            clockMillis += (System.nanoTime() - t0) / 1e6;
        }
    }

    @Override
    public StableDiffusionModels.Facts facts() {
        return models.facts();
    }

    @Override
    public String modelId() {
        return models.modelId();
    }

    @Override
    public float[] encodeText(int[] ids, int rows) {
        return timed(() -> models.encodeText(ids, rows));
    }

    @Override
    public float[] unet(float[] latents, int rows, int latentHeight, int latentWidth, float[] timesteps,
            float[] hiddenStates) {
        return timed(() -> models.unet(latents, rows, latentHeight, latentWidth, timesteps, hiddenStates));
    }

    @Override
    public OnnxModel.FloatOutput encodeImages(float[] images, int rows, int height, int width) {
        return timed(() -> models.encodeImages(images, rows, height, width));
    }

    @Override
    public float[] decodeLatents(float[] latents, int rows, int latentHeight, int latentWidth) {
        return timed(() -> models.decodeLatents(latents, rows, latentHeight, latentWidth));
    }

    @Override
    public void close() {
        models.close();
        try {
            owned.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing the model sessions failed", e);
        }
    }
}
