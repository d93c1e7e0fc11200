package dev.kiln.diffusion;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import dev.kiln.diffusion.batch.OnnxStepModels;
import dev.kiln.diffusion.batch.PromptEmbeddingCache;
import dev.kiln.diffusion.batch.StepBatchExecutor;
import dev.kiln.diffusion.batch.StepBatchOptions;
import dev.kiln.diffusion.image.ImageResizer;
import dev.kiln.diffusion.image.RgbImage;
import dev.kiln.diffusion.model.OnnxModel;
import dev.kiln.diffusion.model.StableDiffusionModels;
import dev.kiln.diffusion.noise.NoiseKind;
import dev.kiln.diffusion.noise.NoiseSource;
import dev.kiln.diffusion.scheduler.Scheduler;
import dev.kiln.diffusion.scheduler.SchedulerRun;

/**
 * Stable Diffusion 1.5 img2img and text-to-image on ONNX Runtime, numerically following
 * diffusers' {@code StableDiffusionImg2ImgPipeline} / {@code StableDiffusionPipeline} (v0.21).
 *
 * <p>
 * A batch is several requests that share size, steps, strength, scheduler and whether
 * guidance is on; each request keeps its own prompt, negative prompt, guidance scale, image count,
 * input image and noise. All rows go through the text encoder in one call and through the UNet in
 * one call per step; every other operation is per row, so a request's images do not depend on
 * its batch-mates. With guidance the UNet batch is {@code [unconditional rows..., conditional
 * rows...]} and {@code eps = uncond + g * (cond - uncond)} with each request's own {@code g};
 * without guidance there is no unconditional pass.
 *
 * <p>
 * The object is long-lived and owns its ONNX sessions. {@link #generate} is thread-safe but
 * runs one batch at a time (callers queue on a lock): a GPU gains nothing from interleaving.
 */
public final class DiffusionPipeline implements AutoCloseable {

    private final StableDiffusionModels models;
    private final PromptTokenizer tokenizer;
    private final Function<String, Scheduler> schedulers;
    private final PipelineOptions options;
    private final ReentrantLock lock = new ReentrantLock();

    /**
     * @param models the loaded sessions (owned from now on: closed with the pipeline)
     * @param tokenizer the model's CLIP tokenizer
     * @param schedulers scheduler by API name, configured from the model's scheduler config;
     *        throws {@link IllegalArgumentException} for an unknown name
     */
    public DiffusionPipeline(StableDiffusionModels models, PromptTokenizer tokenizer,
            Function<String, Scheduler> schedulers, PipelineOptions options) {
        this.models = Objects.requireNonNull(models);
        this.tokenizer = Objects.requireNonNull(tokenizer);
        this.schedulers = Objects.requireNonNull(schedulers);
        this.options = Objects.requireNonNull(options);
    }

    public StableDiffusionModels models() {
        return models;
    }

    /**
     * A step-level batch executor on this pipeline's sessions, tokenizer and schedulers. Use one of the two per
     * model at a time: the executor does not take this pipeline's lock.
     */
    public StepBatchExecutor stepExecutor(StepBatchOptions stepOptions, PromptEmbeddingCache cache) {
        return new StepBatchExecutor(new OnnxStepModels(models), tokenizer, schedulers, stepOptions, cache);
    }

    /** Runs a batch to completion without a cancellation hook. */
    public GenerationResult generate(BatchSettings settings, List<GenerationRequest> requests) {
        return generate(settings, requests, () -> false);
    }

    /**
     * Runs one batch. {@code cancelled} is polled before the text encoder, between UNet steps
     * and before decoding; when it answers true the batch stops with a
     * {@link CancellationException} and its work so far is discarded.
     */
    public GenerationResult generate(BatchSettings settings, List<GenerationRequest> requests,
            BooleanSupplier cancelled) {
        return generate(settings, requests, cancelled, StepListener.NONE);
    }

    /**
     * Runs one batch as {@link #generate(BatchSettings, List, BooleanSupplier)} and tells {@code listener}
     * after every denoising step, once per request of the batch (in request order). An exception thrown by the
     * listener fails the batch like any other error: a listener catches its own.
     */
    public GenerationResult generate(BatchSettings settings, List<GenerationRequest> requests,
            BooleanSupplier cancelled, StepListener listener) {
        validate(settings, requests);
        Objects.requireNonNull(listener, "listener");
        lock.lock();
        try {
            return new Run(settings, requests, cancelled, listener).execute();
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    private void validate(BatchSettings settings, List<GenerationRequest> requests) {
        if (requests.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one request");
        }
        StableDiffusionModels.Facts facts = models.facts();
        if (settings.width() % facts.vaeScaleFactor() != 0 || settings.height() % facts.vaeScaleFactor() != 0) {
            throw new IllegalArgumentException("size " + settings.width() + "x" + settings.height()
                    + " must be a multiple of " + facts.vaeScaleFactor());
        }
        boolean img2img = requests.get(0).initImage() != null;
        for (GenerationRequest request : requests) {
            if ((request.initImage() != null) != img2img) {
                throw new IllegalArgumentException("a batch cannot mix img2img and text-to-image requests");
            }
            if ((request.guidanceScale() > 1.0) != settings.classifierFreeGuidance()) {
                throw new IllegalArgumentException("guidance scale " + request.guidanceScale()
                        + " does not match the batch's classifierFreeGuidance=" + settings.classifierFreeGuidance());
            }
        }
        if (!img2img && settings.strength() != 1.0) {
            throw new IllegalArgumentException("text-to-image runs at strength 1.0, got " + settings.strength());
        }
    }

    /** The state of one batch run. */
    private final class Run {
        private final BatchSettings settings;
        private final List<GenerationRequest> requests;
        private final BooleanSupplier cancelled;
        private final StepListener listener;
        private final StableDiffusionModels.Facts facts = models.facts();
        private final int latentHeight;
        private final int latentWidth;
        private final int latentSize;
        private final int images;
        private final List<NoiseSource> noise = new ArrayList<>();
        private final long onnxNanosAtStart = models.onnxRunNanos();

        Run(BatchSettings settings, List<GenerationRequest> requests, BooleanSupplier cancelled,
                StepListener listener) {
            this.settings = settings;
            this.requests = requests;
            this.cancelled = cancelled;
            this.listener = listener;
            this.latentHeight = settings.height() / facts.vaeScaleFactor();
            this.latentWidth = settings.width() / facts.vaeScaleFactor();
            this.latentSize = facts.latentChannels() * latentHeight * latentWidth;
            this.images = requests.stream().mapToInt(GenerationRequest::imagesPerPrompt).sum();
            for (GenerationRequest request : requests) {
                noise.add(request.noiseSource());
            }
        }

        GenerationResult execute() throws OrtException {
            long start = System.nanoTime();
            Scheduler scheduler = schedulers.apply(settings.scheduler());
            SchedulerRun run = scheduler.start(settings.steps(), settings.strength());
            checkCancelled();

            long t0 = System.nanoTime();
            int[] ids = tokenize();
            long tokenizeNanos = System.nanoTime() - t0;

            t0 = System.nanoTime();
            int textRows = settings.classifierFreeGuidance() ? 2 * requests.size() : requests.size();
            float[] text = models.encodeText(ids, textRows);
            long textEncoderNanos = System.nanoTime() - t0;

            t0 = System.nanoTime();
            float[] latents;
            boolean img2img = requests.get(0).initImage() != null;
            if (img2img) {
                latents = run.addNoise(encodeInitImages(), drawPerImage(NoiseKind.IMG2IMG_NOISE));
            } else {
                latents = drawPerImage(NoiseKind.INITIAL_LATENTS);
                float sigma = (float) run.initNoiseSigma();
                for (int i = 0; i < latents.length; i++) {
                    latents[i] *= sigma;
                }
            }
            long vaeEncodeNanos = System.nanoTime() - t0;

            double[] timesteps = run.timesteps();
            long[] stepNanos = new long[timesteps.length];
            int unetRows = settings.classifierFreeGuidance() ? 2 * images : images;
            long loopOnnxNanosAtStart = models.onnxRunNanos();
            try (OnnxTensor hidden = models.hiddenStatesTensor(expandHiddenStates(text), unetRows)) {
                for (int step = 0; step < timesteps.length; step++) {
                    checkCancelled();
                    long s0 = System.nanoTime();
                    float[] scaled = run.scaleModelInput(latents, step);
                    float[] unetInput = settings.classifierFreeGuidance() ? twice(scaled) : scaled;
                    double t = timesteps[step];
                    float[] prediction = models.unet(unetInput, unetRows, latentHeight, latentWidth, t, hidden);
                    float[] eps = settings.classifierFreeGuidance() ? guide(prediction) : prediction;
                    float[] stepNoise = run.needsStepNoise() ? drawPerImage(NoiseKind.ANCESTRAL_STEP) : null;
                    latents = run.step(eps, step, latents, stepNoise);
                    stepNanos[step] = System.nanoTime() - s0;
                    tellListener(step + 1, timesteps.length, latents);
                }
            }
            long unetOnnxNanos = models.onnxRunNanos() - loopOnnxNanosAtStart;
            checkCancelled();

            t0 = System.nanoTime();
            List<GeneratedImage> decoded = decode(latents);
            long vaeDecodeNanos = System.nanoTime() - t0;

            List<List<GeneratedImage>> perRequest = new ArrayList<>();
            int next = 0;
            for (GenerationRequest request : requests) {
                perRequest.add(List.copyOf(decoded.subList(next, next + request.imagesPerPrompt())));
                next += request.imagesPerPrompt();
            }
            StageTimings timings = new StageTimings(tokenizeNanos, textEncoderNanos, vaeEncodeNanos, stepNanos,
                    vaeDecodeNanos, models.onnxRunNanos() - onnxNanosAtStart, System.nanoTime() - start, unetOnnxNanos);
            return new GenerationResult(List.copyOf(perRequest), timings);
        }

        /**
         * One {@link StepProgress} per request. The latents are copied only when the listener asks, and only the
         * request's first image: a preview shows one image, and copying every row each step would cost the GPU
         * loop for nothing.
         */
        private void tellListener(int step, int steps, float[] latents) {
            if (listener == StepListener.NONE) {
                return;
            }
            int firstImage = 0;
            for (GenerationRequest request : requests) {
                int offset = firstImage * latentSize;
                listener.onStep(new StepProgress(request, step, steps, latentHeight, latentWidth,
                        () -> Arrays.copyOfRange(latents, offset, offset + latentSize)));
                firstImage += request.imagesPerPrompt();
            }
        }

        private void checkCancelled() {
            if (cancelled.getAsBoolean()) {
                throw new CancellationException("batch cancelled");
            }
        }

        /** Ids for the text encoder: [negative of each request..., prompt of each request...]. */
        private int[] tokenize() {
            int seq = facts.sequenceLength();
            int rows = settings.classifierFreeGuidance() ? 2 * requests.size() : requests.size();
            int[] ids = new int[rows * seq];
            int row = 0;
            if (settings.classifierFreeGuidance()) {
                for (GenerationRequest request : requests) {
                    String negative = request.negativePrompt() == null ? "" : request.negativePrompt();
                    copyIds(tokenizer.encode(negative), ids, row++, seq);
                }
            }
            for (GenerationRequest request : requests) {
                copyIds(tokenizer.encode(request.prompt()), ids, row++, seq);
            }
            return ids;
        }

        private void copyIds(int[] tokens, int[] target, int row, int seq) {
            if (tokens.length != seq) {
                throw new IllegalStateException("tokenizer returned " + tokens.length + " ids, the text encoder takes " + seq);
            }
            System.arraycopy(tokens, 0, target, row * seq, seq);
        }

        /** One hidden-state row per UNet row: each image gets its request's (un)conditional text. */
        private float[] expandHiddenStates(float[] text) {
            int rowSize = facts.sequenceLength() * facts.hiddenSize();
            boolean cfg = settings.classifierFreeGuidance();
            float[] out = new float[(cfg ? 2 * images : images) * rowSize];
            int image = 0;
            for (int r = 0; r < requests.size(); r++) {
                for (int i = 0; i < requests.get(r).imagesPerPrompt(); i++, image++) {
                    if (cfg) {
                        System.arraycopy(text, r * rowSize, out, image * rowSize, rowSize);
                        System.arraycopy(text, (requests.size() + r) * rowSize, out, (images + image) * rowSize, rowSize);
                    } else {
                        System.arraycopy(text, r * rowSize, out, image * rowSize, rowSize);
                    }
                }
            }
            return out;
        }

        /** Each request's draw of {@code kind}, [n, C, h, w], concatenated in image order. */
        private float[] drawPerImage(NoiseKind kind) {
            float[] out = new float[images * latentSize];
            int offset = 0;
            for (int r = 0; r < requests.size(); r++) {
                int n = requests.get(r).imagesPerPrompt();
                float[] draw = noise.get(r).draw(kind,
                        new int[] { n, facts.latentChannels(), latentHeight, latentWidth });
                System.arraycopy(draw, 0, out, offset, draw.length);
                offset += draw.length;
            }
            return out;
        }

        /**
         * VAE-encodes each request's image once, samples the posterior with the request's noise,
         * scales by the VAE scaling factor and repeats it for the request's n images.
         */
        private float[] encodeInitImages() throws OrtException {
            int h = settings.height();
            int w = settings.width();
            int pixels = 3 * h * w;
            int channels = facts.latentChannels();
            float[] out = new float[images * latentSize];
            int image = 0;
            for (int first = 0; first < requests.size(); first += options.vaeBatchImages()) {
                int count = Math.min(options.vaeBatchImages(), requests.size() - first);
                float[] input = new float[count * pixels];
                for (int k = 0; k < count; k++) {
                    toNchw(ImageResizer.resize(requests.get(first + k).initImage(), w, h), input, k * pixels);
                }
                OnnxModel.FloatOutput encoded = models.encodeImages(input, count, h, w);
                int outChannels = (int) encoded.shape()[1];
                if (encoded.shape()[2] != latentHeight || encoded.shape()[3] != latentWidth
                        || (outChannels != channels && outChannels != 2 * channels)) {
                    throw new IllegalStateException("VAE encoder returned " + Arrays.toString(encoded.shape())
                            + ", expected " + channels + " or " + (2 * channels) + " channels at "
                            + latentHeight + "x" + latentWidth);
                }
                for (int k = 0; k < count; k++) {
                    int r = first + k;
                    float[] latent = new float[latentSize];
                    int base = k * outChannels * latentHeight * latentWidth;
                    if (outChannels == 2 * channels) {
                        // latent_parameters = [mean, logvar]: sample as diffusers' DiagonalGaussian.
                        float[] posterior = noise.get(r).draw(NoiseKind.POSTERIOR,
                                new int[] { 1, channels, latentHeight, latentWidth });
                        for (int i = 0; i < latentSize; i++) {
                            float mean = encoded.data()[base + i];
                            float logvar = Math.max(-30f, Math.min(20f, encoded.data()[base + latentSize + i]));
                            latent[i] = mean + (float) Math.exp(0.5 * logvar) * posterior[i];
                        }
                    } else {
                        // latent_sample: the export sampled (or took the mode) inside the graph.
                        System.arraycopy(encoded.data(), base, latent, 0, latentSize);
                    }
                    float scaling = (float) facts.vaeScalingFactor();
                    for (int i = 0; i < latentSize; i++) {
                        latent[i] *= scaling;
                    }
                    for (int copy = 0; copy < requests.get(r).imagesPerPrompt(); copy++, image++) {
                        System.arraycopy(latent, 0, out, image * latentSize, latentSize);
                    }
                }
            }
            return out;
        }

        private void toNchw(RgbImage image, float[] target, int offset) {
            int plane = image.width() * image.height();
            byte[] rgb = image.rgb();
            for (int p = 0; p < plane; p++) {
                for (int c = 0; c < 3; c++) {
                    target[offset + c * plane + p] = (rgb[p * 3 + c] & 0xff) / 255f * 2f - 1f;
                }
            }
        }

        private float[] twice(float[] rows) {
            float[] out = new float[rows.length * 2];
            System.arraycopy(rows, 0, out, 0, rows.length);
            System.arraycopy(rows, 0, out, rows.length, rows.length);
            return out;
        }

        /** {@code uncond + g * (cond - uncond)} with each image's request's own scale. */
        private float[] guide(float[] prediction) {
            float[] eps = new float[images * latentSize];
            int image = 0;
            for (GenerationRequest request : requests) {
                float g = (float) request.guidanceScale();
                for (int i = 0; i < request.imagesPerPrompt(); i++, image++) {
                    int u = image * latentSize;
                    int c = (images + image) * latentSize;
                    for (int k = 0; k < latentSize; k++) {
                        float uncond = prediction[u + k];
                        eps[u + k] = uncond + g * (prediction[c + k] - uncond);
                    }
                }
            }
            return eps;
        }

        private List<GeneratedImage> decode(float[] latents) throws OrtException {
            float inverseScaling = (float) (1.0 / facts.vaeScalingFactor());
            int h = settings.height();
            int w = settings.width();
            int plane = h * w;
            List<GeneratedImage> out = new ArrayList<>(images);
            for (int first = 0; first < images; first += options.vaeBatchImages()) {
                int count = Math.min(options.vaeBatchImages(), images - first);
                float[] input = new float[count * latentSize];
                for (int i = 0; i < input.length; i++) {
                    input[i] = latents[first * latentSize + i] * inverseScaling;
                }
                float[] decoded = models.decodeLatents(input, count, latentHeight, latentWidth);
                for (int k = 0; k < count; k++) {
                    float[] rgb = new float[plane * 3];
                    int base = k * 3 * plane;
                    for (int p = 0; p < plane; p++) {
                        for (int c = 0; c < 3; c++) {
                            float v = decoded[base + c * plane + p] / 2f + 0.5f;
                            rgb[p * 3 + c] = Math.max(0f, Math.min(1f, v));
                        }
                    }
                    out.add(new GeneratedImage(w, h, rgb));
                }
            }
            return out;
        }
    }

    @Override
    public void close() {
        models.close();
    }
}
