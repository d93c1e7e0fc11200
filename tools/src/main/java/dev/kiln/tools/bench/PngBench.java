package dev.kiln.tools.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import dev.kiln.diffusion.image.ImageDecoder;
import dev.kiln.diffusion.image.ImageResizer;
import dev.kiln.diffusion.image.PngEncoder;
import dev.kiln.diffusion.image.PngEncoder.Filter;
import dev.kiln.diffusion.image.PngEncoder.Settings;
import dev.kiln.diffusion.image.PngEncoder.Strategy;
import dev.kiln.diffusion.image.RgbImage;

/**
 * Micro-benchmark (not a test) of {@link PngEncoder} on 512x512 RGB: the encoder's previous
 * settings and the candidates for the new ones, on the same synthetic images in one run, so the
 * comparison shares the machine's load at that moment.
 */
public final class PngBench {

    private static final int SIDE = 512;

    private PngBench() {
    }

    /**
     * @param runs timed encodes per (settings, image) after {@code runs / 4 + 5} warm-up encodes
     * @param photos real photographs to add, each stretched to 512x512 (null or empty: none)
     */
    public static void run(int runs, List<Path> photos, PrintStream out) throws IOException {
        Map<String, RgbImage> images = images();
        for (Path photo : photos == null ? List.<Path> of() : photos) {
            images.put(photo.getFileName().toString(),
                    ImageResizer.resize(ImageDecoder.decode(Files.readAllBytes(photo)), SIDE, SIDE));
        }
        Map<String, PngEncoder> encoders = encoders();
        out.printf("png: %dx%d RGB, %d timed runs each, %d cores, Java %s, loadavg %s%n", SIDE, SIDE, runs,
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), PipelineBench.loadAverage());
        StringBuilder header = new StringBuilder(String.format("%-38s", "settings"));
        for (String image : images.keySet()) {
            header.append(String.format(" | %-28s", image + " p50 / min ms (KiB)"));
        }
        List<String> names = List.copyOf(encoders.keySet());
        List<PngEncoder> list = List.copyOf(encoders.values());
        String[][] cells = new String[list.size()][images.size()];
        int column = 0;
        for (RgbImage image : images.values()) {
            String[] results = timeInterleaved(list, image, runs);
            for (int e = 0; e < list.size(); e++) {
                cells[e][column] = results[e];
            }
            column++;
        }
        out.println(header);
        for (int e = 0; e < list.size(); e++) {
            StringBuilder line = new StringBuilder(String.format("%-38s", names.get(e)));
            for (String cell : cells[e]) {
                line.append(" | ").append(String.format("%-28s", cell));
            }
            out.println(line);
        }
        out.printf("png: done, loadavg %s%n", PipelineBench.loadAverage());
    }

    private static Map<String, PngEncoder> encoders() {
        Map<String, PngEncoder> encoders = new LinkedHashMap<>();
        Settings tuned = Settings.tuned();
        int bands = tuned.maxBands();
        encoders.put("old: L1 Up default, 1 band", new PngEncoder(Settings.sequential(1, Filter.UP, Strategy.DEFAULT)));
        encoders.put("L1 Up huffman-only, 1 band", new PngEncoder(Settings.sequential(1, Filter.UP, Strategy.HUFFMAN_ONLY)));
        encoders.put("L1 Sub default, 1 band", new PngEncoder(Settings.sequential(1, Filter.SUB, Strategy.DEFAULT)));
        encoders.put("L1 Up filtered, 1 band", new PngEncoder(Settings.sequential(1, Filter.UP, Strategy.FILTERED)));
        for (int b : new int[] { 2, 4, 8 }) {
            encoders.put("L1 Up default, " + b + " bands",
                    new PngEncoder(new Settings(1, Filter.UP, Strategy.DEFAULT, b, tuned.minBandBytes())));
        }
        encoders.put("L1 Up auto, 1 band", new PngEncoder(Settings.sequential(1, Filter.UP, Strategy.AUTO)));
        encoders.put("L1 Up huffman-only, " + bands + " bands",
                new PngEncoder(new Settings(1, Filter.UP, Strategy.HUFFMAN_ONLY, bands, tuned.minBandBytes())));
        encoders.put("new default (" + describe(tuned) + ")", new PngEncoder());
        return encoders;
    }

    static String describe(Settings s) {
        return "L" + s.deflateLevel() + " " + s.filter() + " " + s.strategy() + " <=" + s.maxBands() + " bands";
    }

    /** Smooth gradients; the same plus sensor-like noise (sd 4 levels); uniform noise. */
    static Map<String, RgbImage> images() {
        byte[] smooth = new byte[SIDE * SIDE * 3];
        byte[] photo = new byte[SIDE * SIDE * 3];
        byte[] noise = new byte[SIDE * SIDE * 3];
        SplittableRandom random = new SplittableRandom(1);
        for (int y = 0; y < SIDE; y++) {
            for (int x = 0; x < SIDE; x++) {
                int p = (y * SIDE + x) * 3;
                smooth[p] = (byte) (128 + 100 * Math.sin(x / 40.0));
                smooth[p + 1] = (byte) (128 + 100 * Math.cos(y / 30.0));
                smooth[p + 2] = (byte) ((x + y) / 4);
                for (int c = 0; c < 3; c++) {
                    int v = (smooth[p + c] & 0xff) + (int) Math.round(4 * gaussian(random));
                    photo[p + c] = (byte) Math.max(0, Math.min(255, v));
                    noise[p + c] = (byte) random.nextInt(256);
                }
            }
        }
        Map<String, RgbImage> images = new LinkedHashMap<>();
        images.put("smooth", new RgbImage(SIDE, SIDE, smooth));
        images.put("photo-like", new RgbImage(SIDE, SIDE, photo));
        images.put("noise", new RgbImage(SIDE, SIDE, noise));
        return images;
    }

    static double gaussian(SplittableRandom random) {
        return Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
    }

    /**
     * Times every encoder on {@code image}, taking turns run by run, so that a change in the
     * shared machine's load during the benchmark hits all settings alike.
     */
    static String[] timeInterleaved(List<PngEncoder> encoders, RgbImage image, int runs) {
        int[] bytes = new int[encoders.size()];
        for (int i = 0; i < runs / 4 + 5; i++) {
            for (int e = 0; e < encoders.size(); e++) {
                bytes[e] = encoders.get(e).encode(image).length;
            }
        }
        long[][] nanos = new long[encoders.size()][runs];
        for (int i = 0; i < runs; i++) {
            for (int e = 0; e < encoders.size(); e++) {
                long t0 = System.nanoTime();
                encoders.get(e).encode(image);
                nanos[e][i] = System.nanoTime() - t0;
            }
        }
        String[] results = new String[encoders.size()];
        for (int e = 0; e < encoders.size(); e++) {
            Arrays.sort(nanos[e]);
            results[e] = String.format("%6.2f / %6.2f (%d)", nanos[e][runs / 2] / 1e6, nanos[e][0] / 1e6, bytes[e] / 1024);
        }
        return results;
    }
}
