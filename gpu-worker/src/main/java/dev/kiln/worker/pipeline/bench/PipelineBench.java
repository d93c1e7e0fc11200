package dev.kiln.worker.pipeline.bench;

import dev.kiln.worker.pipeline.BatchSettings;
import dev.kiln.worker.pipeline.DiffusionPipeline;
import dev.kiln.worker.pipeline.GeneratedImage;
import dev.kiln.worker.pipeline.GenerationRequest;
import dev.kiln.worker.pipeline.GenerationResult;
import dev.kiln.worker.pipeline.PipelineFactory;
import dev.kiln.worker.pipeline.PipelineOptions;
import dev.kiln.worker.pipeline.StageTimings;
import dev.kiln.worker.pipeline.image.PngEncoder;
import dev.kiln.worker.pipeline.image.RgbImage;
import dev.kiln.worker.pipeline.model.ExecutionConfig;
import dev.kiln.worker.pipeline.tiny.TinyModelGenerator;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Benchmark (not a test): per-stage times and images/s for several batch sizes, PNG encode time,
 * and optionally a long run printing the process RSS to show native memory stays flat.
 * Without {@code --model} it generates the tiny model into a temporary directory. At 512x512 the
 * tiny model has SD 1.5's latent size (4x64x64), so Kiln's own per-step work (scheduler math,
 * guidance, tensor copies) is measured at the real model's size; only the ONNX time differs.
 */
public final class PipelineBench {

    /**
     * @param batches       comma-separated batch sizes (requests of one image each)
     * @param iterations    timed runs per batch size (after one warm-up run)
     * @param rssIterations batch-1 runs of the memory check (0 = skip)
     * @param rssEvery      print VmRSS every this many runs
     */
    public record Settings(int width, int height, int steps, String scheduler, String batches, int iterations,
                           int rssIterations, int rssEvery, boolean img2img) {
    }

    private PipelineBench() {
    }

    public static void run(Path model, Settings settings, ExecutionConfig execution, PrintStream out)
            throws IOException {
        Path dir = model;
        if (dir == null) {
            dir = Files.createTempDirectory("kiln-bench-tiny");
            TinyModelGenerator.generate(dir, TinyModelGenerator.Spec.defaults());
            out.println("model: generated tiny model in " + dir);
        } else {
            out.println("model: " + dir);
        }
        out.printf("machine: %d cores, %s %s, Java %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"), System.getProperty("os.arch"), System.getProperty("java.version"));
        try (DiffusionPipeline pipeline = PipelineFactory.open(dir, execution, PipelineOptions.defaults())) {
            out.printf("provider %s, size %dx%d, steps %d, scheduler %s, guidance 7.5, %s%n",
                    pipeline.models().provider(), settings.width(), settings.height(), settings.steps(),
                    settings.scheduler(), settings.img2img() ? "img2img strength 0.75" : "text-to-image");
            pipeline.generate(batch(settings), requests(1, settings, 0));
            PngEncoder png = new PngEncoder();
            out.println("batch | tokenize ms | text enc ms | vae enc ms | unet/step ms | vae dec ms | png/img ms"
                    + " | total ms | outside ORT ms | outside ORT % | images/s");
            for (String b : settings.batches().split(",")) {
                int size = Integer.parseInt(b.trim());
                double[] sums = new double[9];
                for (int it = 0; it < settings.iterations(); it++) {
                    GenerationResult result = pipeline.generate(batch(settings), requests(size, settings, it));
                    long p0 = System.nanoTime();
                    for (List<GeneratedImage> images : result.imagesPerRequest()) {
                        for (GeneratedImage image : images) {
                            png.encode(image.toRgbImage());
                        }
                    }
                    long pngNanos = System.nanoTime() - p0;
                    StageTimings t = result.timings();
                    sums[0] += t.tokenizeNanos();
                    sums[1] += t.textEncoderNanos();
                    sums[2] += t.vaeEncodeNanos();
                    sums[3] += (double) t.unetTotalNanos() / t.unetStepNanos().length;
                    sums[4] += t.vaeDecodeNanos();
                    sums[5] += (double) pngNanos / size;
                    sums[6] += t.totalNanos() + pngNanos;
                    sums[7] += t.overheadFraction();
                    sums[8] += t.totalNanos() - t.onnxNanos();
                }
                double n = settings.iterations();
                out.printf("%5d | %11.2f | %11.2f | %10.2f | %12.2f | %10.2f | %10.2f | %8.1f | %14.1f | %13.1f | %8.2f%n",
                        size, sums[0] / n / 1e6, sums[1] / n / 1e6, sums[2] / n / 1e6, sums[3] / n / 1e6,
                        sums[4] / n / 1e6, sums[5] / n / 1e6, sums[6] / n / 1e6, sums[8] / n / 1e6, 100 * sums[7] / n,
                        size / (sums[6] / n / 1e9));
            }
            pngBenchmark(pipeline, settings, out);
            if (settings.rssIterations() > 0) {
                out.printf("memory check: %d batch-1 runs, VmRSS every %d%n", settings.rssIterations(), settings.rssEvery());
                for (int i = 1; i <= settings.rssIterations(); i++) {
                    pipeline.generate(batch(settings), requests(1, settings, i));
                    if (i == 1 || i % settings.rssEvery() == 0) {
                        // Heap committed is printed too: RSS growth beyond it would be native memory.
                        out.printf("iteration %5d VmRSS %s, Java heap committed %d kB%n", i, vmRss(),
                                Runtime.getRuntime().totalMemory() / 1024);
                    }
                }
            }
        }
    }

    /** PNG encode of a 512x512 image: the pipeline's own output (noise-like for the tiny model) and a smooth one. */
    private static void pngBenchmark(DiffusionPipeline pipeline, Settings settings, PrintStream out) {
        BatchSettings big = new BatchSettings(512, 512, 2, 1.0, settings.scheduler(), true);
        RgbImage generated = pipeline.generate(big, List.of(GenerationRequest.textToImage("png bench", 7.5, 1, 1)))
                .images(0).get(0).toRgbImage();
        byte[] smooth = new byte[512 * 512 * 3];
        byte[] photo = new byte[512 * 512 * 3];
        java.util.SplittableRandom random = new java.util.SplittableRandom(1);
        for (int y = 0; y < 512; y++) {
            for (int x = 0; x < 512; x++) {
                int p = (y * 512 + x) * 3;
                smooth[p] = (byte) (128 + 100 * Math.sin(x / 40.0));
                smooth[p + 1] = (byte) (128 + 100 * Math.cos(y / 30.0));
                smooth[p + 2] = (byte) ((x + y) / 4);
                for (int c = 0; c < 3; c++) {
                    // Smooth content plus sensor-like noise (sd 4 levels): closer to a real output.
                    int v = (smooth[p + c] & 0xff) + (int) Math.round(4 * gaussian(random));
                    photo[p + c] = (byte) Math.max(0, Math.min(255, v));
                }
            }
        }
        for (PngEncoder.Filter filter : List.of(PngEncoder.Filter.UP, PngEncoder.Filter.SUB, PngEncoder.Filter.PAETH,
                PngEncoder.Filter.NONE)) {
            for (int level : new int[]{1, 3, 6}) {
                PngEncoder encoder = new PngEncoder(level, filter);
                out.printf("png 512x512 filter %-5s level %d: tiny-model output %s, smooth %s, smooth+noise %s%n",
                        filter, level, timePng(encoder, generated), timePng(encoder, new RgbImage(512, 512, smooth)),
                        timePng(encoder, new RgbImage(512, 512, photo)));
            }
        }
    }

    private static double gaussian(java.util.SplittableRandom random) {
        return Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
    }

    private static String timePng(PngEncoder encoder, RgbImage image) {
        int bytes = 0;
        for (int i = 0; i < 5; i++) {
            bytes = encoder.encode(image).length;
        }
        int runs = 20;
        long t0 = System.nanoTime();
        for (int i = 0; i < runs; i++) {
            encoder.encode(image);
        }
        return String.format("%.2f ms (%d KiB)", (System.nanoTime() - t0) / 1e6 / runs, bytes / 1024);
    }

    private static BatchSettings batch(Settings settings) {
        return new BatchSettings(settings.width(), settings.height(), settings.steps(),
                settings.img2img() ? 0.75 : 1.0, settings.scheduler(), true);
    }

    private static List<GenerationRequest> requests(int count, Settings settings, int iteration) {
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            GenerationRequest request = GenerationRequest.textToImage("bench prompt " + i + " of " + iteration,
                    7.5, 1, iteration * 1000L + i).withNegativePrompt("blurry");
            if (settings.img2img()) {
                byte[] rgb = new byte[settings.width() * settings.height() * 3];
                Arrays.fill(rgb, (byte) 90);
                request = request.withInitImage(new RgbImage(settings.width(), settings.height(), rgb));
            }
            requests.add(request);
        }
        return requests;
    }

    /** This process's resident set size as the kernel reports it (Linux only). */
    static String vmRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return line.substring(6).trim();
                }
            }
            return "n/a";
        } catch (IOException e) {
            return "n/a (" + e.getMessage() + ")";
        }
    }
}
