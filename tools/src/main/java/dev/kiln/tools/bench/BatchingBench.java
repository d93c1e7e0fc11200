package dev.kiln.tools.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.kiln.diffusion.GenerationRequest;
import dev.kiln.diffusion.PipelineFactory;
import dev.kiln.diffusion.PromptTokenizer;
import dev.kiln.diffusion.batch.FairAdmissionQueue;
import dev.kiln.diffusion.batch.OnnxStepModels;
import dev.kiln.diffusion.batch.PromptEmbeddingCache;
import dev.kiln.diffusion.batch.RunningRequest;
import dev.kiln.diffusion.batch.StepBatchExecutor;
import dev.kiln.diffusion.batch.StepBatchOptions;
import dev.kiln.diffusion.batch.StepCall;
import dev.kiln.diffusion.batch.StepRequest;
import dev.kiln.diffusion.image.RgbImage;
import dev.kiln.diffusion.model.ExecutionConfig;
import dev.kiln.diffusion.model.ModelDirectory;
import dev.kiln.diffusion.model.StableDiffusionModels;
import dev.kiln.diffusion.scheduler.Scheduler;
import dev.kiln.diffusion.scheduler.SchedulerConfig;
import dev.kiln.diffusion.scheduler.Schedulers;
import dev.kiln.diffusion.tiny.TinyModelGenerator;

/**
 * {@code bench batching --trace FILE [--cost-model FILE] [--max-rows N] [--onnx] [--overlap-decode
 * [--decode-contention F]]}: replays a JSONL arrival trace through two batching policies and prints one JSON line
 * per policy.
 *
 * <ul>
 * <li>{@code static}: the worker's former dynamic batcher. Jobs batch only when they agree on size, steps,
 * scheduler, executed steps (strength), guidance on/off and mode; the oldest queued job's key forms the
 * batch, filled in arrival order up to {@code max-rows / 2} images and held up to {@code --max-wait-ms}
 * (50) for more; a batch runs to its end before the next forms. Its UNet calls are not padded.</li>
 * <li>{@code step}: the {@link StepBatchExecutor} fed by the {@link FairAdmissionQueue} (accounts from the
 * trace's optional {@code account} field), admitting while a size's running rows are below
 * {@code max-rows} (the worker's rule); calls padded to the row buckets 1, 2, 4, ... up to {@code max-rows}.</li>
 * </ul>
 *
 * Both run the real executor and scheduler code; only the model calls are replaced: by the cost model on a
 * virtual clock (default), or with {@code --onnx} by the generated tiny model on the CPU, its measured wall time
 * driving the clock. A job of {@code n} images is {@code n} one-image requests (as the worker runs it) and is
 * done when its last image is decoded; latency is arrival to done.
 *
 * <p>
 * {@code --overlap-decode} models the worker's {@code kiln.worker.settle.overlap-decode} for the {@code step}
 * policy: a finished request's VAE decode runs on a second lane (one decode thread, in order) while the UNet
 * calls go on, and the job is done when its decode is; {@code --decode-contention F} still charges the UNet
 * lane F times the decode's cost, for a device shared by both (0: the decode costs the UNet nothing, an upper
 * bound of the gain; 1: no gain at all). The cost model holds no measurement of concurrent calls.
 */
public final class BatchingBench {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final RgbImage INPUT = new RgbImage(8, 8, new byte[8 * 8 * 3]);

    /**
     * @param trace JSONL, one request a line
     * @param costModel cost-model JSON, or null for the H200 table
     * @param maxRows most UNet rows per call
     * @param onnx run the tiny model on the CPU instead of the cost model
     * @param limit replay at most this many jobs (0 = all)
     * @param maxWaitMillis the static batcher's hold time for a partial batch
     * @param vaeBatchImages images per VAE call, both policies
     * @param overlapDecode the step policy decodes on a second lane while its UNet calls go on
     * @param decodeContention share of an overlapped decode's cost still charged to the UNet lane, 0 to 1
     */
    public record Settings(Path trace, Path costModel, int maxRows, boolean onnx, int limit, long maxWaitMillis,
            int vaeBatchImages, boolean overlapDecode, double decodeContention) {
        public Settings {
            if (!(decodeContention >= 0 && decodeContention <= 1)) {
                throw new IllegalArgumentException("--decode-contention must be between 0 and 1, got "
                        + decodeContention);
            }
        }
    }

    /** One trace line. */
    record TraceJob(int index, long atMillis, int steps, Double strength, String scheduler, int width, int height,
            int n, double guidance, String account) {

        boolean guided() {
            return guidance > 1.0;
        }

        double strengthOrOne() {
            return strength == null ? 1.0 : strength;
        }

        /** The static batcher's compatibility key. */
        List<Object> key() {
            int executed = Math.min((int) (steps * strengthOrOne()), steps);
            return List.of(width, height, steps, scheduler, executed, guided(), strength == null);
        }
    }

    /** What one policy achieved. */
    record Result(String policy, int jobs, int images, double imagesPerSecond, double meanRows, double meanBucketRows,
            long unetCalls, int maxRows, double p50Millis, double p99Millis, double cacheHitRate) {

        String json() {
            ObjectNode node = JSON.createObjectNode();
            node.put("policy", policy);
            node.put("images", images);
            node.put("images_per_s", round(imagesPerSecond, 3));
            node.put("mean_rows_per_unet_call", round(meanRows, 2));
            node.put("max_rows", maxRows);
            node.put("p50_ms", Math.round(p50Millis));
            node.put("p99_ms", Math.round(p99Millis));
            node.put("jobs", jobs);
            node.put("unet_calls", unetCalls);
            node.put("mean_padded_rows_per_unet_call", round(meanBucketRows, 2));
            node.put("prompt_cache_hit_rate", round(cacheHitRate, 3));
            return node.toString();
        }

        private static double round(double value, int digits) {
            double scale = Math.pow(10, digits);
            return Math.round(value * scale) / scale;
        }
    }

    private BatchingBench() {
    }

    public static void run(Settings settings, PrintStream out) throws IOException {
        List<TraceJob> jobs = readTrace(settings.trace(), settings.limit());
        CostModel cost = settings.costModel() == null ? CostModel.h200() : CostModel.read(settings.costModel());
        Supplier<Backend> backend = settings.onnx() ? onnxBackend() : () -> simulated(cost);
        out.println(runStatic(jobs, backend.get(), settings).json());
        out.println(runStep(jobs, backend.get(), settings).json());
    }

    static List<TraceJob> readTrace(Path file, int limit) throws IOException {
        List<TraceJob> jobs = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode j = JSON.readTree(line);
            JsonNode strength = j.get("strength");
            jobs.add(new TraceJob(jobs.size(), j.get("at_ms").asLong(), j.get("steps").asInt(),
                    strength == null || strength.isNull() ? null : strength.asDouble(),
                    j.get("scheduler").asText(), j.get("width").asInt(), j.get("height").asInt(),
                    j.path("n").asInt(1), j.path("guidance").asDouble(7.5), j.path("account").asText("default")));
            if (limit > 0 && jobs.size() == limit) {
                break;
            }
        }
        jobs.sort((a, b) -> Long.compare(a.atMillis(), b.atMillis()));
        return jobs;
    }

    /** The model calls, the clock they keep, and the tokenizer that goes with them. */
    record Backend(ClockedModels models, PromptTokenizer tokenizer) {
    }

    private static Backend simulated(CostModel cost) {
        // Distinct prompts get distinct ids; the empty negative prompt is one id sequence.
        PromptTokenizer tokenizer = prompt -> {
            int[] ids = new int[77];
            Arrays.fill(ids, 49407);
            ids[0] = 49406;
            ids[1] = prompt.hashCode() & 0xffff;
            return ids;
        };
        return new Backend(new SimulatedModels(cost), tokenizer);
    }

    private static Supplier<Backend> onnxBackend() throws IOException {
        Path dir = Files.createTempDirectory("kiln-bench-tiny");
        TinyModelGenerator.generate(dir, TinyModelGenerator.Spec.defaults());
        ModelDirectory model = ModelDirectory.open(dir);
        PromptTokenizer tokenizer = PipelineFactory.tokenizer(model);
        return () -> {
            StableDiffusionModels models = StableDiffusionModels.load(model, ExecutionConfig.cpu());
            return new Backend(new TimedModels(new OnnxStepModels(models), models), tokenizer);
        };
    }

    private static Function<String, Scheduler> schedulers() {
        Map<String, Scheduler> byName = new HashMap<>();
        for (String name : Schedulers.NAMES) {
            byName.put(name, Schedulers.create(name, SchedulerConfig.stableDiffusion15()));
        }
        return name -> Objects.requireNonNull(byName.get(name), () -> "unknown scheduler " + name);
    }

    private static List<StepRequest> requests(TraceJob job) {
        List<StepRequest> out = new ArrayList<>(job.n());
        for (int i = 0; i < job.n(); i++) {
            GenerationRequest request = new GenerationRequest("trace prompt " + job.index(), null, job.guidance(), 1,
                    job.index() * 16L + i, job.strength() == null ? null : INPUT, null);
            out.add(StepRequest.of(request, job.width(), job.height(), job.steps(), job.strengthOrOne(),
                    job.scheduler()));
        }
        return out;
    }

    /** Tracks jobs to completion and the calls made. */
    private static final class Tally {
        final Map<StepRequest, TraceJob> jobOf = new IdentityHashMap<>();
        final Map<TraceJob, Integer> left = new HashMap<>();
        final List<Double> latencies = new ArrayList<>();
        long calls;
        long rows;
        long bucketRows;
        /** When the decode lane is free (overlapped decode). */
        double decodeFree;
        double lastDone;
        int images;

        void add(TraceJob job, List<StepRequest> requests) {
            left.put(job, requests.size());
            requests.forEach(r -> jobOf.put(r, job));
        }

        void call(StepCall call) {
            if (call.rows() > 0) {
                calls++;
                rows += call.rows();
                bucketRows += call.bucketRows();
            }
        }

        void finished(List<RunningRequest> finished, double now) {
            for (RunningRequest request : finished) {
                TraceJob job = jobOf.remove(request.request());
                images++;
                int remaining = left.merge(job, -1, Integer::sum);
                if (remaining == 0) {
                    left.remove(job);
                    latencies.add(now - job.atMillis());
                    lastDone = Math.max(lastDone, now);
                }
            }
        }

        Result result(String policy, List<TraceJob> jobs, int maxRows, double hitRate) {
            double[] sorted = latencies.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double span = (lastDone - jobs.get(0).atMillis()) / 1000.0;
            return new Result(policy, latencies.size(), images, images / span, (double) rows / calls,
                    (double) bucketRows / calls, calls, maxRows, percentile(sorted, 0.50), percentile(sorted, 0.99),
                    hitRate);
        }
    }

    static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static void stepAndDecode(StepBatchExecutor executor, ClockedModels models, Tally tally) {
        StepCall call = executor.step();
        tally.call(call);
        if (!call.finished().isEmpty()) {
            executor.decode(call.finished());
            tally.finished(call.finished(), models.clockMillis());
        }
    }

    /** The decode on its own lane, after the decodes handed over before it; the UNet lane pays the contention. */
    private static void stepAndOverlapDecode(StepBatchExecutor executor, ClockedModels models, Tally tally,
            double contention) {
        StepCall call = executor.step();
        tally.call(call);
        if (!call.finished().isEmpty()) {
            double handedOver = models.clockMillis();
            executor.decode(call.finished());
            double cost = models.clockMillis() - handedOver;
            models.rewindTo(handedOver + contention * cost);
            tally.decodeFree = Math.max(tally.decodeFree, handedOver) + cost;
            tally.finished(call.finished(), tally.decodeFree);
        }
    }

    static Result runStep(List<TraceJob> jobs, Backend backend, Settings settings) {
        ClockedModels models = backend.models();
        int maxRows = settings.maxRows();
        StepBatchOptions options = new StepBatchOptions(
                StepBatchOptions.bucketsUpTo(StepBatchOptions.DEFAULT_ROW_BUCKETS, maxRows), settings.vaeBatchImages());
        Tally tally = new Tally();
        FairAdmissionQueue<StepRequest> queue = new FairAdmissionQueue<>(new FairAdmissionQueue.Describer<>() {
            @Override
            public String tenant(StepRequest item) {
                return tally.jobOf.get(item).account();
            }

            @Override
            public int rows(StepRequest item) {
                return item.rows();
            }

            @Override
            public long deadlineMillis(StepRequest item) {
                return 0;
            }

            @Override
            public long estimatedRunMillis(StepRequest item) {
                return 0;
            }
        }, Integer.MAX_VALUE, 0);
        try (StepBatchExecutor executor = new StepBatchExecutor(models, backend.tokenizer(), schedulers(), options,
                new PromptEmbeddingCache(64L << 20))) {
            int next = 0;
            while (true) {
                while (next < jobs.size() && jobs.get(next).atMillis() <= models.clockMillis()) {
                    TraceJob job = jobs.get(next++);
                    List<StepRequest> requests = requests(job);
                    tally.add(job, requests);
                    requests.forEach(queue::offer);
                }
                admit(executor, queue, maxRows, (long) models.clockMillis());
                if (executor.isIdle()) {
                    if (next == jobs.size() && queue.size() == 0) {
                        break;
                    }
                    models.advanceTo(jobs.get(next).atMillis());
                    continue;
                }
                if (settings.overlapDecode()) {
                    stepAndOverlapDecode(executor, models, tally, settings.decodeContention());
                } else {
                    stepAndDecode(executor, models, tally);
                }
            }
            return tally.result(settings.overlapDecode() ? "step+overlap_decode" : "step", jobs, maxRows,
                    executor.cache().hitRate());
        }
    }

    /** Takes queued requests while their size's running rows are below {@code maxRows}; one admission call. */
    private static void admit(StepBatchExecutor executor, FairAdmissionQueue<StepRequest> queue, int maxRows,
            long nowMillis) {
        Map<List<Integer>, Integer> planned = new HashMap<>();
        List<StepRequest> joining = new ArrayList<>();
        while (true) {
            // The worker's rule: admit while the size has fewer running rows than a full call.
            Optional<FairAdmissionQueue.Taken<StepRequest>> taken = queue.poll(r -> executor.runningRows(r.width(),
                    r.height()) + planned.getOrDefault(List.of(r.width(), r.height()), 0) < maxRows, nowMillis);
            if (taken.isEmpty()) {
                break;
            }
            StepRequest request = taken.get().item();
            planned.merge(List.of(request.width(), request.height()), request.rows(), Integer::sum);
            joining.add(request);
        }
        if (!joining.isEmpty()) {
            executor.admit(joining);
        }
    }

    static Result runStatic(List<TraceJob> jobs, Backend backend, Settings settings) {
        ClockedModels models = backend.models();
        int maxRows = settings.maxRows();
        int maxBatchImages = Math.max(1, maxRows / 2);
        // Today's pipeline runs a batch at its exact row count: no buckets, no padding.
        StepBatchOptions options = new StepBatchOptions(IntStream.rangeClosed(1, maxRows).boxed().toList(),
                settings.vaeBatchImages());
        Tally tally = new Tally();
        List<TraceJob> queue = new ArrayList<>();
        try (StepBatchExecutor executor = new StepBatchExecutor(models, backend.tokenizer(), schedulers(), options,
                new PromptEmbeddingCache(64L << 20))) {
            int next = 0;
            while (true) {
                while (next < jobs.size() && jobs.get(next).atMillis() <= models.clockMillis()) {
                    queue.add(jobs.get(next++));
                }
                if (queue.isEmpty()) {
                    if (next == jobs.size()) {
                        break;
                    }
                    models.advanceTo(jobs.get(next).atMillis());
                    continue;
                }
                TraceJob head = queue.get(0);
                List<TraceJob> batch = new ArrayList<>();
                int images = 0;
                boolean full = false;
                for (TraceJob job : queue) {
                    if (!job.key().equals(head.key())) {
                        continue;
                    }
                    if (images + job.n() > maxBatchImages && !batch.isEmpty()) {
                        full = true;
                        break;
                    }
                    batch.add(job);
                    images += job.n();
                }
                full |= images >= maxBatchImages;
                double release = head.atMillis() + settings.maxWaitMillis();
                if (!full && models.clockMillis() < release) {
                    double wake = next < jobs.size() ? Math.min(release, jobs.get(next).atMillis()) : release;
                    models.advanceTo(wake);
                    continue;
                }
                queue.removeAll(batch);
                List<StepRequest> requests = new ArrayList<>();
                for (TraceJob job : batch) {
                    List<StepRequest> forJob = requests(job);
                    tally.add(job, forJob);
                    requests.addAll(forJob);
                }
                // An oversize job (n > max images) runs alone, in slices of the maximum, as one batch would.
                for (int from = 0; from < requests.size(); from += maxBatchImages) {
                    executor.admit(requests.subList(from, Math.min(requests.size(), from + maxBatchImages)));
                    while (!executor.isIdle()) {
                        stepAndDecode(executor, models, tally);
                    }
                }
            }
            return tally.result("static", jobs, maxRows, executor.cache().hitRate());
        }
    }
}
