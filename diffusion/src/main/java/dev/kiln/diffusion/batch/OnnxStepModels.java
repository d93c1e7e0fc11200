package dev.kiln.diffusion.batch;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import dev.kiln.diffusion.model.OnnxModel;
import dev.kiln.diffusion.model.StableDiffusionModels;

/**
 * {@link StepModels} on a loaded {@link StableDiffusionModels}. Keeps the UNet's hidden-states tensor while
 * the executor passes the same array (the same requests in the same rows), so a steady batch converts and
 * copies its text embeddings once, not once per step. Does not own the sessions.
 */
public final class OnnxStepModels implements StepModels {

    private final StableDiffusionModels models;
    private float[] hiddenArray;
    private OnnxTensor hiddenTensor;

    public OnnxStepModels(StableDiffusionModels models) {
        this.models = models;
    }

    @Override
    public StableDiffusionModels.Facts facts() {
        return models.facts();
    }

    @Override
    public String modelId() {
        return models.directory().root().toString();
    }

    @Override
    public float[] encodeText(int[] ids, int rows) {
        try {
            return models.encodeText(ids, rows);
        } catch (OrtException e) {
            throw failed(e);
        }
    }

    @Override
    public float[] unet(float[] latents, int rows, int latentHeight, int latentWidth, float[] timesteps,
            float[] hiddenStates) {
        try {
            if (hiddenStates != hiddenArray) {
                closeHidden();
                hiddenTensor = models.hiddenStatesTensor(hiddenStates, rows);
                hiddenArray = hiddenStates;
            }
            return models.unet(latents, rows, latentHeight, latentWidth, timesteps, hiddenTensor);
        } catch (OrtException e) {
            throw failed(e);
        }
    }

    @Override
    public OnnxModel.FloatOutput encodeImages(float[] images, int rows, int height, int width) {
        try {
            return models.encodeImages(images, rows, height, width);
        } catch (OrtException e) {
            throw failed(e);
        }
    }

    @Override
    public float[] decodeLatents(float[] latents, int rows, int latentHeight, int latentWidth) {
        try {
            return models.decodeLatents(latents, rows, latentHeight, latentWidth);
        } catch (OrtException e) {
            throw failed(e);
        }
    }

    @Override
    public void close() {
        closeHidden();
    }

    private void closeHidden() {
        if (hiddenTensor != null) {
            hiddenTensor.close();
            hiddenTensor = null;
            hiddenArray = null;
        }
    }

    private static IllegalStateException failed(OrtException e) {
        return new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
    }
}
