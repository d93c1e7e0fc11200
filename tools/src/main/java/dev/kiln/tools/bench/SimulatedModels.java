package dev.kiln.tools.bench;

import ai.onnxruntime.OnnxJavaType;
import dev.kiln.diffusion.model.OnnxModel;
import dev.kiln.diffusion.model.StableDiffusionModels;

/**
 * Model calls replaced by a {@link CostModel}: each call advances a virtual clock by its cost and returns zeros
 * of the right shape. The latents are 64 times smaller than the image on each side (a 512x512 image has 8x8
 * latents) so the executor and schedulers run their real code cheaply; costs are charged as for SD 1.5's 8x
 * latents (a 768x768 row counts 2.25 rows of 512x512).
 */
final class SimulatedModels implements ClockedModels {

    static final int SCALE = 64;
    /** Latent pixels of one 512x512 row at {@link #SCALE}. */
    private static final double REFERENCE_AREA = (512.0 / SCALE) * (512.0 / SCALE);

    private final CostModel cost;
    private final StableDiffusionModels.Facts facts;
    private double clockMillis;

    SimulatedModels(CostModel cost) {
        this.cost = cost;
        this.facts = new StableDiffusionModels.Facts(8, 77, 4, SCALE, 0.18215, OnnxJavaType.FLOAT, true, 1);
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

    @Override
    public StableDiffusionModels.Facts facts() {
        return facts;
    }

    @Override
    public String modelId() {
        return "simulated";
    }

    @Override
    public float[] encodeText(int[] ids, int rows) {
        clockMillis += cost.textEncoder(rows);
        return new float[rows * facts.sequenceLength() * facts.hiddenSize()];
    }

    @Override
    public float[] unet(float[] latents, int rows, int latentHeight, int latentWidth, float[] timesteps,
            float[] hiddenStates) {
        clockMillis += cost.unet(rows * latentHeight * latentWidth / REFERENCE_AREA);
        return new float[latents.length];
    }

    @Override
    public OnnxModel.FloatOutput encodeImages(float[] images, int rows, int height, int width) {
        int h = height / SCALE;
        int w = width / SCALE;
        clockMillis += cost.vaeEncode(rows * h * w / REFERENCE_AREA);
        int channels = 2 * facts.latentChannels();
        return new OnnxModel.FloatOutput(new long[] { rows, channels, h, w }, new float[rows * channels * h * w]);
    }

    @Override
    public float[] decodeLatents(float[] latents, int rows, int latentHeight, int latentWidth) {
        clockMillis += cost.vaeDecode(rows * latentHeight * latentWidth / REFERENCE_AREA);
        return new float[rows * 3 * latentHeight * SCALE * latentWidth * SCALE];
    }

    @Override
    public void close() {
    }
}
