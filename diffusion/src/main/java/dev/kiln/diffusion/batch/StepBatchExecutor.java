package dev.kiln.diffusion.batch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

import dev.kiln.diffusion.GeneratedImage;
import dev.kiln.diffusion.GenerationRequest;
import dev.kiln.diffusion.PromptTokenizer;
import dev.kiln.diffusion.image.ImageResizer;
import dev.kiln.diffusion.image.RgbImage;
import dev.kiln.diffusion.model.OnnxModel;
import dev.kiln.diffusion.model.StableDiffusionModels;
import dev.kiln.diffusion.noise.NoiseKind;
import dev.kiln.diffusion.noise.NoiseSource;
import dev.kiln.diffusion.noise.SeededNoiseSource;
import dev.kiln.diffusion.scheduler.Scheduler;
import dev.kiln.diffusion.scheduler.SchedulerRun;

/**
 * Step-level (continuous) batching: every UNet call takes rows from any running requests of the same latent
 * size, each at its own step, with one timestep per row. Requests join at a step boundary once their text
 * (and, for img2img, their input image) is encoded, and leave after their last step. Each request owns its
 * scheduler run, noise source, step count, strength, guidance scale and listener.
 *
 * <p>
 * Which rows go into a call: the request stepped least recently (ties: the earliest admitted) leads; the
 * call takes the rows of every running request of the lead's latent size, in the same order, while they fit in
 * the largest row bucket (a request's rows are never split). The call is padded to the smallest row bucket
 * holding its rows, with copies of its first row whose outputs are discarded. When the running rows exceed the
 * maximum, requests take turns: the ones left out lead the next call. A UNet export whose timestep is a scalar
 * or {@code [1]} takes one timestep per call: the call then also requires the lead's timestep, and requests at
 * other timesteps wait for a later call.
 *
 * <p>
 * Every operation outside the batched model calls is per request, and the model calls are per row, so a
 * request's images equal those of its solo run (to float rounding of the batched kernels), whatever it shares
 * calls with and whenever it joins.
 *
 * <p>
 * Not thread-safe: one thread (the one that owns the device) admits and steps. {@link #decode} is the
 * exception: it reads only the finished requests it is given (which no step touches again) and makes VAE decoder
 * calls (ONNX Runtime sessions run concurrently), so another thread may decode while this one steps.
 */
public final class StepBatchExecutor implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(StepBatchExecutor.class.getName());
    private static final Comparator<RunningRequest> TURN_ORDER = Comparator.comparingLong(RunningRequest::lastCall)
            .thenComparingLong(RunningRequest::sequence);

    private final StepModels models;
    private final StableDiffusionModels.Facts facts;
    private final PromptTokenizer tokenizer;
    private final Function<String, Scheduler> schedulers;
    private final StepBatchOptions options;
    private final PromptEmbeddingCache cache;
    private final List<RunningRequest> running = new ArrayList<>();
    private long nextSequence;
    private long calls;
    private List<Long> lastComposition = List.of();
    private float[] lastHidden;

    /**
     * @param models the model calls (closed with the executor)
     * @param tokenizer the model's CLIP tokenizer
     * @param schedulers scheduler by name; throws {@link IllegalArgumentException} for an unknown one
     * @param cache prompt embeddings, possibly shared with other executors of the same model
     */
    public StepBatchExecutor(StepModels models, PromptTokenizer tokenizer, Function<String, Scheduler> schedulers,
            StepBatchOptions options, PromptEmbeddingCache cache) {
        this.models = Objects.requireNonNull(models);
        this.facts = models.facts();
        this.tokenizer = Objects.requireNonNull(tokenizer);
        this.schedulers = Objects.requireNonNull(schedulers);
        this.options = Objects.requireNonNull(options);
        this.cache = Objects.requireNonNull(cache);
    }

    public StepBatchOptions options() {
        return options;
    }

    public PromptEmbeddingCache cache() {
        return cache;
    }

    /** UNet calls made so far. */
    public long calls() {
        return calls;
    }

    /** Requests admitted and not yet finished, cancelled or failed, in admission order. */
    public List<RunningRequest> running() {
        return List.copyOf(running);
    }

    public boolean isIdle() {
        return running.isEmpty();
    }

    /** UNet rows of the running requests. */
    public int runningRows() {
        return running.stream().mapToInt(RunningRequest::rows).sum();
    }

    /** UNet rows of the running requests of one output size: the rows that can share a call. */
    public int runningRows(int width, int height) {
        return running.stream().filter(r -> r.request().width() == width && r.request().height() == height)
                .mapToInt(RunningRequest::rows).sum();
    }

    /**
     * Checks a request without admitting it: size, scheduler, steps after strength, rows per call.
     *
     * @throws IllegalArgumentException what makes it unable to run
     */
    public void validate(StepRequest request) {
        int factor = facts.vaeScaleFactor();
        if (request.width() % factor != 0 || request.height() % factor != 0) {
            throw new IllegalArgumentException("size " + request.width() + "x" + request.height()
                    + " must be a multiple of " + factor);
        }
        if (request.rows() > options.maxRows()) {
            throw new IllegalArgumentException("request needs " + request.rows() + " UNet rows per call, more than "
                    + options.maxRows() + " (the largest row bucket)");
        }
        SchedulerRun run = schedulers.apply(request.scheduler()).start(request.steps(), request.strength());
        if (run.timesteps().length == 0) {
            throw new IllegalArgumentException("strength " + request.strength() + " at " + request.steps()
                    + " steps runs no denoising step");
        }
    }

    /**
     * Encodes the requests' text (one text-encoder call for all prompts not in the cache) and img2img inputs,
     * initialises their latents and adds them to the running requests: they take part from the next call.
     * All or nothing: when a request is invalid or a model call fails, none joins.
     *
     * @throws IllegalArgumentException when a request cannot run (see {@link #validate})
     */
    public List<RunningRequest> admit(List<StepRequest> requests) {
        requests.forEach(this::validate);
        List<float[]> hidden = encodeText(requests);
        List<Start> starts = start(requests);
        List<RunningRequest> admitted = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            StepRequest request = requests.get(i);
            Start start = starts.get(i);
            admitted.add(new RunningRequest(request, nextSequence++, start.run(), start.noise(),
                    request.height() / facts.vaeScaleFactor(), request.width() / facts.vaeScaleFactor(),
                    hidden.get(i), start.latents()));
        }
        running.addAll(admitted);
        return admitted;
    }

    /** A request's scheduler run, noise source and starting latents. */
    private record Start(SchedulerRun run, NoiseSource noise, float[] latents) {
    }

    /**
     * One UNet call (see the class comment for which rows it takes) and one scheduler step for each request
     * in it. Requests whose cancellation hook answers true are dropped first. Returns an empty call (0 rows)
     * when nothing is running.
     *
     * @throws StepFailedException when the UNet call fails; its requests have left the executor
     */
    public StepCall step() {
        long t0 = System.nanoTime();
        List<RunningRequest> cancelled = dropCancelled();
        if (running.isEmpty()) {
            return new StepCall(0, 0, List.of(), List.of(), cancelled, System.nanoTime() - t0);
        }
        List<RunningRequest> taken = pickRows();
        int rows = taken.stream().mapToInt(RunningRequest::rows).sum();
        int bucket = options.bucketFor(rows);
        float[] prediction;
        try {
            prediction = runUnet(taken, bucket);
        } catch (RuntimeException e) {
            for (RunningRequest request : taken) {
                request.fail();
            }
            running.removeAll(taken);
            throw new StepFailedException("UNet call over " + taken.size() + " requests failed", taken, e);
        }
        List<RunningRequest> finished = new ArrayList<>();
        int row = 0;
        for (RunningRequest request : taken) {
            advance(request, prediction, row, bucket);
            row += request.rows();
            if (request.state() == RunningRequest.State.FINISHED) {
                finished.add(request);
            }
        }
        running.removeAll(finished);
        calls++;
        return new StepCall(rows, bucket, taken, finished, cancelled, System.nanoTime() - t0);
    }

    /** Removes every running request (shutdown); they are reported cancelled. */
    public List<RunningRequest> abandonAll() {
        List<RunningRequest> out = List.copyOf(running);
        out.forEach(RunningRequest::cancel);
        running.clear();
        return out;
    }

    private List<RunningRequest> dropCancelled() {
        List<RunningRequest> cancelled = new ArrayList<>();
        for (RunningRequest request : running) {
            boolean stop;
            try {
                stop = request.request().cancelled().getAsBoolean();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "cancellation hook of " + request + " threw; keeping it", e);
                stop = false;
            }
            if (stop) {
                request.cancel();
                cancelled.add(request);
            }
        }
        running.removeAll(cancelled);
        return cancelled;
    }

    private List<RunningRequest> pickRows() {
        List<RunningRequest> byTurn = new ArrayList<>(running);
        byTurn.sort(TURN_ORDER);
        RunningRequest lead = byTurn.get(0);
        float leadTimestep = lead.nextTimestep();
        List<RunningRequest> taken = new ArrayList<>();
        int rows = 0;
        for (RunningRequest candidate : byTurn) {
            boolean sameShape = candidate.latentHeight() == lead.latentHeight()
                    && candidate.latentWidth() == lead.latentWidth();
            boolean sameTimestep = facts.timestepPerRow() || candidate.nextTimestep() == leadTimestep;
            if (sameShape && sameTimestep && rows + candidate.rows() <= options.maxRows()) {
                taken.add(candidate);
                rows += candidate.rows();
            }
        }
        return taken;
    }

    /** Rows: each request's [uncond images..., cond images...] (or [images...]), then padding. */
    private float[] runUnet(List<RunningRequest> taken, int bucket) {
        RunningRequest lead = taken.get(0);
        int h = lead.latentHeight();
        int w = lead.latentWidth();
        int latentRow = facts.latentChannels() * h * w;
        float[] sample = new float[bucket * latentRow];
        float[] timesteps = new float[bucket];
        int row = 0;
        for (RunningRequest request : taken) {
            float[] scaled = request.run().scaleModelInput(request.latents(), request.stepsDone());
            int copies = request.request().guided() ? 2 : 1;
            for (int c = 0; c < copies; c++) {
                System.arraycopy(scaled, 0, sample, row * latentRow, scaled.length);
                row += request.request().request().imagesPerPrompt();
            }
            Arrays.fill(timesteps, row - request.rows(), row, request.nextTimestep());
        }
        for (int pad = row; pad < bucket; pad++) {
            System.arraycopy(sample, 0, sample, pad * latentRow, latentRow);
            timesteps[pad] = timesteps[0];
        }
        return models.unet(sample, bucket, h, w, timesteps, hiddenStates(taken, bucket));
    }

    /** The previous call's array when the same requests fill the same rows, so the model can keep its tensor. */
    private float[] hiddenStates(List<RunningRequest> taken, int bucket) {
        List<Long> composition = new ArrayList<>(taken.size() + 1);
        taken.forEach(r -> composition.add(r.sequence()));
        composition.add((long) -bucket);
        if (composition.equals(lastComposition)) {
            return lastHidden;
        }
        int rowSize = facts.sequenceLength() * facts.hiddenSize();
        float[] hidden = new float[bucket * rowSize];
        int offset = 0;
        for (RunningRequest request : taken) {
            System.arraycopy(request.hiddenRows(), 0, hidden, offset, request.hiddenRows().length);
            offset += request.hiddenRows().length;
        }
        for (int pad = offset / rowSize; pad < bucket; pad++) {
            System.arraycopy(hidden, 0, hidden, pad * rowSize, rowSize);
        }
        lastComposition = composition;
        lastHidden = hidden;
        return hidden;
    }

    private void advance(RunningRequest request, float[] prediction, int firstRow, int bucket) {
        GenerationRequest generation = request.request().request();
        int n = generation.imagesPerPrompt();
        int latentRow = facts.latentChannels() * request.latentHeight() * request.latentWidth();
        int size = n * latentRow;
        float[] eps = new float[size];
        int base = firstRow * latentRow;
        if (request.request().guided()) {
            float g = (float) generation.guidanceScale();
            for (int k = 0; k < size; k++) {
                float uncond = prediction[base + k];
                eps[k] = uncond + g * (prediction[base + size + k] - uncond);
            }
        } else {
            System.arraycopy(prediction, base, eps, 0, size);
        }
        SchedulerRun run = request.run();
        float[] stepNoise = run.needsStepNoise()
                ? request.noise().draw(NoiseKind.ANCESTRAL_STEP,
                        new int[] { n, facts.latentChannels(), request.latentHeight(), request.latentWidth() })
                : null;
        request.stepped(run.step(eps, request.stepsDone(), request.latents(), stepNoise), calls);
        try {
            request.notifyListener();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "step listener of " + request + " threw; ignored", e);
        }
    }

    /** Per request: [negative × n (guided only), prompt × n] hidden rows; cached prompts skip the encoder. */
    private List<float[]> encodeText(List<StepRequest> requests) {
        int seq = facts.sequenceLength();
        int rowSize = seq * facts.hiddenSize();
        Map<IdsKey, float[]> embeddings = new LinkedHashMap<>();
        List<IdsKey> misses = new ArrayList<>();
        List<List<IdsKey>> keysPerRequest = new ArrayList<>();
        for (StepRequest request : requests) {
            List<IdsKey> keys = new ArrayList<>(2);
            if (request.guided()) {
                String negative = request.request().negativePrompt();
                keys.add(ids(negative == null ? "" : negative));
            }
            keys.add(ids(request.request().prompt()));
            for (IdsKey key : keys) {
                if (!embeddings.containsKey(key) && !misses.contains(key)) {
                    cache.get(models.modelId(), key.ids()).ifPresentOrElse(e -> embeddings.put(key, e),
                            () -> misses.add(key));
                }
            }
            keysPerRequest.add(keys);
        }
        if (!misses.isEmpty()) {
            int[] ids = new int[misses.size() * seq];
            for (int i = 0; i < misses.size(); i++) {
                System.arraycopy(misses.get(i).ids(), 0, ids, i * seq, seq);
            }
            float[] encoded = models.encodeText(ids, misses.size());
            for (int i = 0; i < misses.size(); i++) {
                float[] embedding = Arrays.copyOfRange(encoded, i * rowSize, (i + 1) * rowSize);
                embeddings.put(misses.get(i), embedding);
                cache.put(models.modelId(), misses.get(i).ids(), embedding);
            }
        }
        List<float[]> out = new ArrayList<>(requests.size());
        for (int r = 0; r < requests.size(); r++) {
            int n = requests.get(r).request().imagesPerPrompt();
            List<IdsKey> keys = keysPerRequest.get(r);
            float[] rows = new float[keys.size() * n * rowSize];
            int row = 0;
            for (IdsKey key : keys) {
                float[] embedding = embeddings.get(key);
                for (int i = 0; i < n; i++, row++) {
                    System.arraycopy(embedding, 0, rows, row * rowSize, rowSize);
                }
            }
            out.add(rows);
        }
        return out;
    }

    private IdsKey ids(String prompt) {
        int[] ids = tokenizer.encode(prompt);
        if (ids.length != facts.sequenceLength()) {
            throw new IllegalStateException("tokenizer returned " + ids.length + " ids, the text encoder takes "
                    + facts.sequenceLength());
        }
        return new IdsKey(ids);
    }

    /** Starts each request's scheduler run and draws its starting latents (img2img: encodes its image). */
    private List<Start> start(List<StepRequest> requests) {
        List<SchedulerRun> startedRuns = new ArrayList<>(requests.size());
        List<NoiseSource> sources = new ArrayList<>(requests.size());
        for (StepRequest request : requests) {
            startedRuns.add(schedulers.apply(request.scheduler()).start(request.steps(), request.strength()));
            GenerationRequest generation = request.request();
            sources.add(generation.noise() != null ? generation.noise() : new SeededNoiseSource(generation.seed()));
        }
        List<float[]> encoded = encodeInitImages(requests, sources);
        List<Start> out = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            int[] shape = latentShape(requests.get(i));
            SchedulerRun run = startedRuns.get(i);
            NoiseSource noise = sources.get(i);
            float[] latents;
            if (encoded.get(i) != null) {
                latents = run.addNoise(encoded.get(i), noise.draw(NoiseKind.IMG2IMG_NOISE, shape));
            } else {
                latents = noise.draw(NoiseKind.INITIAL_LATENTS, shape);
                float sigma = (float) run.initNoiseSigma();
                for (int k = 0; k < latents.length; k++) {
                    latents[k] *= sigma;
                }
            }
            out.add(new Start(run, noise, latents));
        }
        return out;
    }

    private int[] latentShape(StepRequest request) {
        return new int[] { request.request().imagesPerPrompt(), facts.latentChannels(),
                request.height() / facts.vaeScaleFactor(), request.width() / facts.vaeScaleFactor() };
    }

    /**
     * Each img2img request's image VAE-encoded once, posterior-sampled with its own noise, scaled and repeated
     * for its n images (null for text-to-image). Images of one size share encoder calls, up to
     * {@code vaeBatchImages} per call.
     */
    private List<float[]> encodeInitImages(List<StepRequest> requests, List<NoiseSource> sources) {
        List<float[]> out = new ArrayList<>(Collections.nCopies(requests.size(), (float[]) null));
        List<Integer> pending = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            if (requests.get(i).request().initImage() != null) {
                pending.add(i);
            }
        }
        while (!pending.isEmpty()) {
            StepRequest first = requests.get(pending.get(0));
            List<Integer> chunk = new ArrayList<>();
            for (int i : pending) {
                StepRequest r = requests.get(i);
                if (chunk.size() < options.vaeBatchImages() && r.width() == first.width()
                        && r.height() == first.height()) {
                    chunk.add(i);
                }
            }
            pending.removeAll(chunk);
            encodeChunk(requests, sources, chunk, out);
        }
        return out;
    }

    private void encodeChunk(List<StepRequest> requests, List<NoiseSource> sources, List<Integer> chunk,
            List<float[]> out) {
        StepRequest first = requests.get(chunk.get(0));
        int height = first.height();
        int width = first.width();
        int latentHeight = height / facts.vaeScaleFactor();
        int latentWidth = width / facts.vaeScaleFactor();
        int channels = facts.latentChannels();
        int latentSize = channels * latentHeight * latentWidth;
        int pixels = 3 * height * width;
        float[] input = new float[chunk.size() * pixels];
        for (int k = 0; k < chunk.size(); k++) {
            RgbImage image = requests.get(chunk.get(k)).request().initImage();
            toNchw(ImageResizer.resize(image, width, height), input, k * pixels);
        }
        OnnxModel.FloatOutput encoded = models.encodeImages(input, chunk.size(), height, width);
        int outChannels = (int) encoded.shape()[1];
        if (encoded.shape()[2] != latentHeight || encoded.shape()[3] != latentWidth
                || (outChannels != channels && outChannels != 2 * channels)) {
            throw new IllegalStateException("VAE encoder returned " + Arrays.toString(encoded.shape())
                    + ", expected " + channels + " or " + (2 * channels) + " channels at "
                    + latentHeight + "x" + latentWidth);
        }
        float scaling = (float) facts.vaeScalingFactor();
        for (int k = 0; k < chunk.size(); k++) {
            int r = chunk.get(k);
            float[] latent = new float[latentSize];
            int base = k * outChannels * latentHeight * latentWidth;
            if (outChannels == 2 * channels) {
                // latent_parameters = [mean, logvar]: sample as diffusers' DiagonalGaussian.
                float[] posterior = sources.get(r).draw(NoiseKind.POSTERIOR,
                        new int[] { 1, channels, latentHeight, latentWidth });
                for (int i = 0; i < latentSize; i++) {
                    float mean = encoded.data()[base + i];
                    float logvar = Math.max(-30f, Math.min(20f, encoded.data()[base + latentSize + i]));
                    latent[i] = mean + (float) Math.exp(0.5 * logvar) * posterior[i];
                }
            } else {
                System.arraycopy(encoded.data(), base, latent, 0, latentSize);
            }
            for (int i = 0; i < latentSize; i++) {
                latent[i] *= scaling;
            }
            int n = requests.get(r).request().imagesPerPrompt();
            float[] repeated = new float[n * latentSize];
            for (int copy = 0; copy < n; copy++) {
                System.arraycopy(latent, 0, repeated, copy * latentSize, latentSize);
            }
            out.set(r, repeated);
        }
    }

    private static void toNchw(RgbImage image, float[] target, int offset) {
        int plane = image.width() * image.height();
        byte[] rgb = image.rgb();
        for (int p = 0; p < plane; p++) {
            for (int c = 0; c < 3; c++) {
                target[offset + c * plane + p] = (rgb[p * 3 + c] & 0xff) / 255f * 2f - 1f;
            }
        }
    }

    /**
     * VAE-decodes finished requests: their images in request order, one list per request. Images of one size
     * share decoder calls, up to {@code vaeBatchImages} per call. May run on another thread while {@link #step}
     * runs (see the class comment); calls to it from several threads run their decodes concurrently.
     */
    public List<List<GeneratedImage>> decode(List<RunningRequest> finished) {
        List<List<GeneratedImage>> out = new ArrayList<>(finished.size());
        for (RunningRequest request : finished) {
            if (request.state() != RunningRequest.State.FINISHED) {
                throw new IllegalArgumentException(request + " has not finished");
            }
            out.add(new ArrayList<>(request.request().request().imagesPerPrompt()));
        }
        List<int[]> images = new ArrayList<>();
        for (int r = 0; r < finished.size(); r++) {
            for (int i = 0; i < finished.get(r).request().request().imagesPerPrompt(); i++) {
                images.add(new int[] { r, i });
            }
        }
        while (!images.isEmpty()) {
            RunningRequest first = finished.get(images.get(0)[0]);
            List<int[]> chunk = new ArrayList<>();
            for (int[] image : images) {
                RunningRequest r = finished.get(image[0]);
                if (chunk.size() < options.vaeBatchImages() && r.latentHeight() == first.latentHeight()
                        && r.latentWidth() == first.latentWidth()) {
                    chunk.add(image);
                }
            }
            images.removeAll(chunk);
            decodeChunk(finished, chunk, out);
        }
        return out;
    }

    private void decodeChunk(List<RunningRequest> finished, List<int[]> chunk, List<List<GeneratedImage>> out) {
        RunningRequest first = finished.get(chunk.get(0)[0]);
        int latentHeight = first.latentHeight();
        int latentWidth = first.latentWidth();
        int latentSize = facts.latentChannels() * latentHeight * latentWidth;
        float inverseScaling = (float) (1.0 / facts.vaeScalingFactor());
        float[] input = new float[chunk.size() * latentSize];
        for (int k = 0; k < chunk.size(); k++) {
            float[] latents = finished.get(chunk.get(k)[0]).latents();
            int from = chunk.get(k)[1] * latentSize;
            for (int i = 0; i < latentSize; i++) {
                input[k * latentSize + i] = latents[from + i] * inverseScaling;
            }
        }
        float[] decoded = models.decodeLatents(input, chunk.size(), latentHeight, latentWidth);
        int h = first.request().height();
        int w = first.request().width();
        int plane = h * w;
        for (int k = 0; k < chunk.size(); k++) {
            float[] rgb = new float[plane * 3];
            int base = k * 3 * plane;
            for (int p = 0; p < plane; p++) {
                for (int c = 0; c < 3; c++) {
                    float v = decoded[base + c * plane + p] / 2f + 0.5f;
                    rgb[p * 3 + c] = Math.max(0f, Math.min(1f, v));
                }
            }
            out.get(chunk.get(k)[0]).add(new GeneratedImage(w, h, rgb));
        }
    }

    @Override
    public void close() {
        models.close();
    }

    private record IdsKey(int[] ids) {
        @Override
        public boolean equals(Object o) {
            return o instanceof IdsKey other && Arrays.equals(ids, other.ids);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(ids);
        }
    }
}
