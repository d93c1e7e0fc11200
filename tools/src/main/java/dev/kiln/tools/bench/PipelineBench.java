package dev.kiln.tools.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.kiln.diffusion.BatchSettings;
import dev.kiln.diffusion.DiffusionPipeline;
import dev.kiln.diffusion.GeneratedImage;
import dev.kiln.diffusion.GenerationRequest;
import dev.kiln.diffusion.GenerationResult;
import dev.kiln.diffusion.PipelineFactory;
import dev.kiln.diffusion.PipelineOptions;
import dev.kiln.diffusion.StageTimings;
import dev.kiln.diffusion.image.PngEncoder;
import dev.kiln.diffusion.image.RgbImage;
import dev.kiln.diffusion.model.ExecutionConfig;
import dev.kiln.diffusion.tiny.TinyModelGenerator;

/**
 * Benchmark (not a test): per-stage times and images/s for several batch sizes, PNG encode time,
 * and optionally a long run printing the process RSS to show native memory stays flat.
 * Without {@code --model} it generates the tiny model into a temporary directory. At 512x512 the
 * tiny model has SD 1.5's latent size (4x64x64), so Kiln's own per-step work (scheduler math,
 * guidance, tensor copies) is measured at the real model's size; only the ONNX time differs.
 */
public final class PipelineBench {

    /**
     * @param batches comma-separated batch sizes (requests of one image each)
     * @param iterations timed runs per batch size (after one warm-up run)
     * @param rssIterations batch-1 runs of the memory check (0 = skip)
     * @param rssEvery print VmRSS every this many runs
     */
    public record Settings(int width, int height, int steps, String scheduler, String batches, int iterations,
            int rssIterations, int rssEvery, boolean img2img, boolean fp16Unet) {
    }

    /**
     * SD 1.5 UNet cost per latent row at 64x64: onnx-tool's profile of the SD v1.4 ONNX UNet
     * (same architecture as 1.5) counts 888,870 M MACs for its batch-2 export, i.e. about
     * 444 GMAC = 0.89 TFLOP per row (FLOPs = 2 x MACs). See docs/benchmarks.md.
     */
    static final double REAL_UNET_FLOP_PER_ROW = 0.89e12;

    /** Effective (not peak) fp16 UNet throughput assumed per GPU, FLOP/s; docs/benchmarks.md says why. */
    static final double[] GPU_EFFECTIVE_FLOPS = { 20e12, 60e12, 100e12 };
    static final String[] GPU_NAMES = { "A10G @20 TFLOP/s", "A100 @60 TFLOP/s", "A100 @100 TFLOP/s" };

    private PipelineBench() {
    }

    public static void run(Path model, Settings settings, ExecutionConfig execution, PrintStream out)
            throws IOException {
        Path dir = model;
        if (dir == null) {
            dir = Files.createTempDirectory("kiln-bench-tiny");
            TinyModelGenerator.generate(dir, TinyModelGenerator.Spec.defaults().withFp16Unet(settings.fp16Unet()));
            out.println("model: generated tiny model in " + dir + (settings.fp16Unet() ? " (fp16 UNet)" : ""));
        } else {
            out.println("model: " + dir);
        }
        out.printf("machine: %d cores, %s %s, Java %s, loadavg %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"), System.getProperty("os.arch"), System.getProperty("java.version"),
                loadAverage());
        try (DiffusionPipeline pipeline = PipelineFactory.open(dir, execution, PipelineOptions.defaults())) {
            out.printf("provider %s, size %dx%d, steps %d, scheduler %s, guidance 7.5, %s%n",
                    pipeline.models().provider(), settings.width(), settings.height(), settings.steps(),
                    settings.scheduler(), settings.img2img() ? "img2img strength 0.75" : "text-to-image");
            pipeline.generate(batch(settings), requests(1, settings, 0));
            PngEncoder png = new PngEncoder();
            out.println("batch | tokenize ms | text enc ms | vae enc ms | unet/step ms | vae dec ms | png/img ms"
                    + " | total ms | ORT ms | outside ORT ms | outside ORT % | loop outside ORT/step ms"
                    + " | once-per-batch outside ORT ms | images/s");
            List<double[]> overheads = new ArrayList<>();
            for (String b : settings.batches().split(",")) {
                int size = Integer.parseInt(b.trim());
                double[] sums = new double[12];
                for (int it = 0; it < settings.iterations(); it++) {
                    GenerationResult result = pipeline.generate(batch(settings), requests(size, settings, it + 1));
                    long p0 = System.nanoTime();
                    for (List<GeneratedImage> images : result.imagesPerRequest()) {
                        for (GeneratedImage image : images) {
                            png.encode(image.toRgbImage());
                        }
                    }
                    long pngNanos = System.nanoTime() - p0;
                    StageTimings t = result.timings();
                    int steps = t.unetStepNanos().length;
                    long outside = t.totalNanos() - t.onnxNanos();
                    sums[0] += t.tokenizeNanos();
                    sums[1] += t.textEncoderNanos();
                    sums[2] += t.vaeEncodeNanos();
                    sums[3] += (double) t.unetTotalNanos() / steps;
                    sums[4] += t.vaeDecodeNanos();
                    sums[5] += (double) pngNanos / size;
                    sums[6] += t.totalNanos();
                    sums[7] += t.onnxNanos();
                    sums[8] += outside;
                    sums[9] += t.overheadFraction();
                    sums[10] += t.loopOverheadNanosPerStep();
                    sums[11] += outside - t.loopOverheadNanosPerStep() * steps;
                }
                double n = settings.iterations();
                double[] mean = Arrays.stream(sums).map(v -> v / n).toArray();
                out.printf("%5d | %11.2f | %11.2f | %10.2f | %12.2f | %10.2f | %10.2f | %8.1f | %6.1f | %14.1f | %13.1f"
                        + " | %24.2f | %29.1f | %8.2f%n",
                        size, mean[0] / 1e6, mean[1] / 1e6, mean[2] / 1e6, mean[3] / 1e6, mean[4] / 1e6,
                        mean[5] / 1e6, mean[6] / 1e6, mean[7] / 1e6, mean[8] / 1e6, 100 * mean[9],
                        mean[10] / 1e6, mean[11] / 1e6, size / (mean[6] / 1e9));
            }
            // Thread CPU time, not wall time: on a shared, loaded machine wall time mostly
            // measures waiting for a core. Fit outside-ORT CPU = once + steps x perStep from two
            // step counts.
            out.println("outside-ORT thread CPU (generate() on this thread minus its CPU inside OrtSession.run),"
                    + " fitted from " + FIT_STEPS + " and " + settings.steps() + " steps:");
            out.println("batch | outside CPU ms @" + settings.steps() + " steps | per step ms | once per batch ms"
                    + " | ORT CPU ms @" + settings.steps() + " steps");
            for (String b : settings.batches().split(",")) {
                int size = Integer.parseInt(b.trim());
                double[] few = outsideCpu(pipeline, settings, size, FIT_STEPS);
                double[] many = outsideCpu(pipeline, settings, size, settings.steps());
                double perStep = Math.max(0, (many[0] - few[0]) / (settings.steps() - FIT_STEPS));
                double once = Math.max(0, many[0] - perStep * settings.steps());
                out.printf("%5d | %23.1f | %11.3f | %17.1f | %15.1f%n", size, many[0] / 1e6, perStep / 1e6, once / 1e6,
                        many[1] / 1e6);
                overheads.add(new double[] { size, perStep, once });
            }
            realModelEstimate(overheads, settings, out);
            if (settings.rssIterations() > 0) {
                out.printf("memory check: %d batch-1 runs (%s), VmRSS every %d%n", settings.rssIterations(),
                        settings.img2img() ? "img2img" : "text-to-image", settings.rssEvery());
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
        out.printf("done, loadavg %s%n", loadAverage());
    }

    private static final int FIT_STEPS = 2;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** Mean {outside-ORT thread CPU, ORT thread CPU} in ns of a batch of {@code size} at {@code steps}. */
    private static double[] outsideCpu(DiffusionPipeline pipeline, Settings settings, int size, int steps) {
        Settings at = new Settings(settings.width(), settings.height(), steps, settings.scheduler(), settings.batches(),
                settings.iterations(), 0, 1, settings.img2img(), settings.fp16Unet());
        double outside = 0;
        double onnx = 0;
        for (int it = 0; it < settings.iterations(); it++) {
            long ort0 = pipeline.models().onnxRunCpuNanos();
            long cpu0 = THREADS.getCurrentThreadCpuTime();
            pipeline.generate(batch(at), requests(size, at, it + 1));
            long cpu = THREADS.getCurrentThreadCpuTime() - cpu0;
            long ort = pipeline.models().onnxRunCpuNanos() - ort0;
            outside += cpu - ort;
            onnx += ort;
        }
        return new double[] { outside / settings.iterations(), onnx / settings.iterations() };
    }

    /**
     * Kiln's measured outside-ORT thread CPU time (per step and once per batch, at the real latent size)
     * against the real UNet's estimated time on a GPU: the share Kiln would add to a real batch.
     * The real text encoder and VAE are left out of the denominator, which overstates the share.
     */
    private static void realModelEstimate(List<double[]> overheads, Settings settings, PrintStream out) {
        if (settings.width() != 512 || settings.height() != 512) {
            out.println("real-model estimate: only meaningful at 512x512 (64x64 latents), skipped");
            return;
        }
        out.printf("real-model estimate: outside-ORT share of a batch = (once + steps x loop) / (that + UNet);"
                + " UNet = steps x rows x %.2f TFLOP / effective FLOP/s, rows = %s per image%n",
                REAL_UNET_FLOP_PER_ROW / 1e12, "2 (guidance)");
        for (int steps : new int[] { settings.steps(), 20, 50 }) {
            for (double[] o : overheads) {
                int images = (int) o[0];
                double outsideNanos = o[2] + steps * o[1];
                StringBuilder line = new StringBuilder(String.format("  steps %2d batch %2d: outside ORT %7.1f ms",
                        steps, images, outsideNanos / 1e6));
                for (int g = 0; g < GPU_EFFECTIVE_FLOPS.length; g++) {
                    double unetNanos = steps * 2.0 * images * REAL_UNET_FLOP_PER_ROW / GPU_EFFECTIVE_FLOPS[g] * 1e9;
                    line.append(String.format(" | %s: UNet %8.0f ms, outside %5.2f %%", GPU_NAMES[g], unetNanos / 1e6,
                            100 * outsideNanos / (outsideNanos + unetNanos)));
                }
                out.println(line);
            }
        }
    }

    /** {@code /proc/loadavg}'s three load averages: how busy the shared machine was. */
    static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
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
