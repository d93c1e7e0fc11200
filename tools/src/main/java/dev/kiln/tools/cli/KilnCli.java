package dev.kiln.tools.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.kiln.diffusion.BatchSettings;
import dev.kiln.diffusion.DiffusionPipeline;
import dev.kiln.diffusion.GeneratedImage;
import dev.kiln.diffusion.GenerationRequest;
import dev.kiln.diffusion.GenerationResult;
import dev.kiln.diffusion.PipelineFactory;
import dev.kiln.diffusion.PipelineOptions;
import dev.kiln.diffusion.PromptTokenizer;
import dev.kiln.diffusion.StageTimings;
import dev.kiln.diffusion.batch.PromptEmbeddingCache;
import dev.kiln.diffusion.batch.StepBatchExecutor;
import dev.kiln.diffusion.batch.StepBatchOptions;
import dev.kiln.diffusion.batch.StepCall;
import dev.kiln.diffusion.batch.StepRequest;
import dev.kiln.diffusion.image.ImageDecoder;
import dev.kiln.diffusion.image.PngEncoder;
import dev.kiln.diffusion.image.RgbImage;
import dev.kiln.diffusion.model.ExecutionConfig;
import dev.kiln.diffusion.model.ModelDirectory;
import dev.kiln.diffusion.noise.RecordedNoiseSource;
import dev.kiln.diffusion.npy.Npy;
import dev.kiln.diffusion.tiny.TinyModelGenerator;
import dev.kiln.tools.bench.BatchingBench;
import dev.kiln.tools.bench.PipelineBench;
import dev.kiln.tools.bench.PngBench;

/**
 * Kiln's pipeline from the command line: the same code the worker runs.
 *
 * <pre>
 * generate   --model DIR --prompt P [--prompt P2 ...] [--negative-prompt N ...] [--image FILE]
 *            [--strength 0.75] [--steps 50] [--guidance 7.5] [--scheduler pndm] [--n 1]
 *            [--size 512x512] [--seed 0 | --draws-dir DIR (one per --prompt)] [--out DIR] [--npy FILE]
 *            [--executor static|step]
 * tokenize   --model DIR PROMPT...            prints the ids of each prompt as JSON
 * tiny-model DIR                              writes the generated tiny model
 * bench      [--model DIR] [--fp16-unet] ...  see PipelineBench
 * bench png  [--runs 50] [--image FILE ...]  PNG encoder micro-benchmark, see PngBench
 * bench batching --trace FILE [--cost-model FILE] [--max-rows 64] [--onnx] [--limit N] [--max-wait-ms 50]
 *            [--vae-batch-images 8] [--overlap-decode [--decode-contention 0]]
 *                                           static vs step-level batching on an arrival trace, see BatchingBench
 * </pre>
 *
 * Device options for generate/bench: {@code --device cpu|cuda}, {@code --require-cuda},
 * {@code --cuda-device-id N}, {@code --gpu-mem-limit-bytes B}, {@code --arena-extend-strategy S},
 * {@code --cudnn-conv-algo-search S}, {@code --threads N}.
 */
public final class KilnCli {

    private static final Set<String> FLAGS = Set.of("require-cuda", "img2img", "fp16-unet", "onnx", "overlap-decode");

    private KilnCli() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage(System.err);
            System.exit(2);
        }
        try {
            int code = run(args, System.out);
            if (code != 0) {
                System.exit(code);
            }
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
    }

    /** Runs a command, printing to {@code out}; returns the exit code. */
    public static int run(String[] args, PrintStream out) throws Exception {
        Args options = new Args(args, 1, FLAGS);
        switch (args[0]) {
            case "generate" -> generate(options, out);
            case "tokenize" -> tokenize(options, out);
            case "tiny-model" -> {
                if (options.positional().size() != 1) {
                    throw new IllegalArgumentException("usage: tiny-model DIR");
                }
                Path dir = Path.of(options.positional().get(0));
                TinyModelGenerator.generate(dir, TinyModelGenerator.Spec.defaults());
                out.println("wrote tiny model to " + dir.toAbsolutePath());
            }
            case "bench" -> {
                if (options.positional().contains("batching")) {
                    String costModel = options.get("cost-model", null);
                    BatchingBench.run(new BatchingBench.Settings(Path.of(options.require("trace")),
                            costModel == null ? null : Path.of(costModel), options.getInt("max-rows", 64),
                            options.flag("onnx"), options.getInt("limit", 0), options.getLong("max-wait-ms", 50),
                            options.getInt("vae-batch-images", 8), options.flag("overlap-decode"),
                            options.getDouble("decode-contention", 0.0)), out);
                    return 0;
                }
                if (options.positional().contains("png")) {
                    PngBench.run(options.getInt("runs", 50), options.all("image").stream().map(Path::of).toList(), out);
                    return 0;
                }
                PipelineBench.run(options.get("model", null) == null ? null : Path.of(options.get("model", null)),
                        new PipelineBench.Settings(size(options)[0], size(options)[1], options.getInt("steps", 10),
                                options.get("scheduler", "pndm"), options.get("batches", "1,2,4,8"),
                                options.getInt("iterations", 3), options.getInt("rss-iterations", 0),
                                options.getInt("rss-every", 50), options.flag("img2img"), options.flag("fp16-unet")),
                        execution(options), out);
            }
            default -> {
                usage(System.err);
                return 2;
            }
        }
        return 0;
    }

    static ExecutionConfig execution(Args options) {
        return new ExecutionConfig(options.get("device", "cpu"), options.flag("require-cuda"),
                options.getInt("cuda-device-id", 0), options.getLong("gpu-mem-limit-bytes", 0),
                options.get("arena-extend-strategy", "kNextPowerOfTwo"),
                options.get("cudnn-conv-algo-search", "EXHAUSTIVE"), options.getInt("threads", 0));
    }

    private static int[] size(Args options) {
        String size = options.get("size", "512x512");
        String[] parts = size.toLowerCase().split("x");
        if (parts.length != 2) {
            throw new IllegalArgumentException("--size must be WIDTHxHEIGHT, got " + size);
        }
        return new int[] { Integer.parseInt(parts[0]), Integer.parseInt(parts[1]) };
    }

    private static void generate(Args options, PrintStream out) throws Exception {
        Path model = Path.of(options.require("model"));
        List<String> prompts = options.all("prompt");
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("at least one --prompt is required");
        }
        List<String> negatives = options.all("negative-prompt");
        if (negatives.size() > 1 && negatives.size() != prompts.size()) {
            throw new IllegalArgumentException("give one --negative-prompt for all prompts or one per prompt");
        }
        double guidance = options.getDouble("guidance", 7.5);
        int n = options.getInt("n", 1);
        long seed = options.getLong("seed", 0);
        int[] size = size(options);
        String imagePath = options.get("image", null);
        RgbImage image = imagePath == null ? null : ImageDecoder.decode(Files.readAllBytes(Path.of(imagePath)));
        double strength = image == null ? 1.0 : options.getDouble("strength", 0.75);
        List<String> drawsDirs = options.all("draws-dir");
        if (!drawsDirs.isEmpty() && drawsDirs.size() != prompts.size()) {
            throw new IllegalArgumentException("--draws-dir replays one request's draws: give one per --prompt ("
                    + prompts.size() + " prompts, " + drawsDirs.size() + " draws folders)");
        }
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            String negative = negatives.isEmpty() ? null : negatives.get(negatives.size() == 1 ? 0 : i);
            // Several prompts get consecutive seeds so their images differ.
            requests.add(new GenerationRequest(prompts.get(i), negative, guidance, n, seed + i, image,
                    drawsDirs.isEmpty() ? null : RecordedNoiseSource.fromDirectory(Path.of(drawsDirs.get(i)))));
        }
        BatchSettings settings = new BatchSettings(size[0], size[1], options.getInt("steps", 50), strength,
                options.get("scheduler", "pndm"), guidance > 1.0);
        String executor = options.get("executor", "static");
        if (!executor.equals("static") && !executor.equals("step")) {
            throw new IllegalArgumentException("--executor must be static or step, got " + executor);
        }
        try (DiffusionPipeline pipeline = PipelineFactory.open(model, execution(options),
                new PipelineOptions(options.getInt("vae-batch-images", 1)))) {
            GenerationResult result = executor.equals("step") ? stepGenerate(pipeline, settings, requests)
                    : pipeline.generate(settings, requests);
            Path outDir = Path.of(options.get("out", "."));
            Files.createDirectories(outDir);
            PngEncoder encoder = new PngEncoder();
            List<GeneratedImage> all = new ArrayList<>();
            for (int r = 0; r < requests.size(); r++) {
                List<GeneratedImage> images = result.images(r);
                for (int i = 0; i < images.size(); i++) {
                    Path file = outDir.resolve("image_" + r + "_" + i + ".png");
                    Files.write(file, images.get(i).toPng(encoder));
                    out.println("wrote " + file);
                }
                all.addAll(images);
            }
            String npy = options.get("npy", null);
            if (npy != null) {
                writeFloatImages(Path.of(npy), all);
                out.println("wrote " + npy);
            }
            printTimings(result.timings(), out);
        }
    }

    /**
     * The same requests through the step-level executor, all admitted together: what the worker runs. Timings
     * hold the UNet calls and the total only.
     */
    private static GenerationResult stepGenerate(DiffusionPipeline pipeline, BatchSettings settings,
            List<GenerationRequest> requests) {
        long t0 = System.nanoTime();
        List<StepRequest> stepRequests = requests.stream().map(r -> StepRequest.of(r, settings.width(),
                settings.height(), settings.steps(), settings.strength(), settings.scheduler())).toList();
        Map<StepRequest, List<GeneratedImage>> images = new IdentityHashMap<>();
        List<Long> callNanos = new ArrayList<>();
        try (StepBatchExecutor executor = pipeline.stepExecutor(StepBatchOptions.defaults(),
                new PromptEmbeddingCache(64L << 20))) {
            executor.admit(stepRequests);
            while (!executor.isIdle()) {
                StepCall call = executor.step();
                callNanos.add(call.nanos());
                List<List<GeneratedImage>> decoded = executor.decode(call.finished());
                for (int i = 0; i < decoded.size(); i++) {
                    images.put(call.finished().get(i).request(), decoded.get(i));
                }
            }
        }
        List<List<GeneratedImage>> perRequest = stepRequests.stream().map(images::get).toList();
        long total = System.nanoTime() - t0;
        return new GenerationResult(perRequest, new StageTimings(0, 0, 0,
                callNanos.stream().mapToLong(Long::longValue).toArray(), 0, 0, total, 0));
    }

    static void writeFloatImages(Path file, List<GeneratedImage> images) throws IOException {
        GeneratedImage first = images.get(0);
        int size = first.rgb().length;
        float[] data = new float[images.size() * size];
        for (int i = 0; i < images.size(); i++) {
            System.arraycopy(images.get(i).rgb(), 0, data, i * size, size);
        }
        Npy.write(file, new Npy.Array(new long[] { images.size(), first.height(), first.width(), 3 }, data));
    }

    private static void printTimings(StageTimings t, PrintStream out) {
        out.printf("timings ms: tokenize %.2f, text encoder %.2f, vae encode %.2f, unet %d steps %.2f, "
                + "vae decode %.2f, total %.2f (onnx %.2f)%n",
                t.tokenizeNanos() / 1e6, t.textEncoderNanos() / 1e6, t.vaeEncodeNanos() / 1e6,
                t.unetStepNanos().length, t.unetTotalNanos() / 1e6, t.vaeDecodeNanos() / 1e6,
                t.totalNanos() / 1e6, t.onnxNanos() / 1e6);
    }

    private static void tokenize(Args options, PrintStream out) {
        PromptTokenizer tokenizer = PipelineFactory.tokenizer(ModelDirectory.open(Path.of(options.require("model"))));
        StringBuilder json = new StringBuilder("[");
        for (String prompt : options.positional()) {
            if (json.length() > 1) {
                json.append(",\n ");
            }
            json.append(Arrays.toString(tokenizer.encode(prompt)));
        }
        out.println(json.append("]"));
    }

    private static void usage(PrintStream err) {
        err.println("usage: KilnCli generate|tokenize|tiny-model|bench [options]  (see the class javadoc / docs/pipeline.md)");
    }
}
