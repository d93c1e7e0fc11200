package dev.kiln.diffusion.batch;

import dev.kiln.diffusion.model.OnnxModel;
import dev.kiln.diffusion.model.StableDiffusionModels;

/**
 * The four model calls the {@link StepBatchExecutor} makes. {@link OnnxStepModels} runs them on ONNX
 * Runtime; the batching benchmark replaces them with a cost model, so the executor's scheduling is
 * measured without a GPU.
 */
public interface StepModels extends AutoCloseable {

    StableDiffusionModels.Facts facts();

    /** Identifies the weights, e.g. the model directory: part of the prompt-embedding cache key. */
    String modelId();

    /** Token ids [rows, seq] to hidden states [rows, seq, hidden]. */
    float[] encodeText(int[] ids, int rows);

    /**
     * Noise prediction for {@code rows} latents [rows, C, h, w], row {@code i} at {@code timesteps[i]} with
     * hidden states [rows, seq, hidden]. The executor passes the same {@code hiddenStates} array again while
     * the rows of consecutive calls belong to the same requests, so an implementation may keep the tensor it
     * made from it.
     */
    float[] unet(float[] latents, int rows, int latentHeight, int latentWidth, float[] timesteps,
            float[] hiddenStates);

    /** VAE encoder: images [rows, 3, H, W] in [-1, 1] to its raw output and that output's shape. */
    OnnxModel.FloatOutput encodeImages(float[] images, int rows, int height, int width);

    /** VAE decoder: unscaled latents [rows, C, h, w] to images [rows, 3, H, W] in about [-1, 1]. */
    float[] decodeLatents(float[] latents, int rows, int latentHeight, int latentWidth);

    /** Releases what the implementation holds (not the sessions it was given). */
    @Override
    void close();
}
