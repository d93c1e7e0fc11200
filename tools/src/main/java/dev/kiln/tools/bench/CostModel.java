package dev.kiln.tools.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Milliseconds per model call by batch size, piecewise-linear between measured points, flat below the first,
 * extended with the last segment's slope above the last. Sizes are in units of a 512x512 (64x64-latent) row or
 * image: a 768x768 row counts 2.25.
 *
 * <p>
 * File format (JSON): {@code {"unet_ms": {"2": 35.7, ...}, "text_encoder_ms": {"2": 4}, "vae_decode_ms":
 * {"1": 21, "8": 111}, "vae_encode_ms": {...}}}; a missing table keeps the default.
 */
public record CostModel(TreeMap<Double, Double> unetMs, TreeMap<Double, Double> textEncoderMs,
        TreeMap<Double, Double> vaeDecodeMs, TreeMap<Double, Double> vaeEncodeMs) {

    /**
     * NVIDIA H200, PyTorch 2.11 + diffusers, fp16, SD 1.5's UNet, 64x64 latents, median of 10 (docs/batching.md).
     * The VAE encoder was not measured: it is taken as costly as the decoder (an upper bound; both policies pay
     * it alike).
     */
    public static CostModel h200() {
        return new CostModel(
                table(2, 35.7, 4, 25.9, 8, 55.8, 16, 62.0, 32, 95.3, 64, 184.7),
                table(2, 4.0),
                table(1, 21.0, 8, 111.0),
                table(1, 21.0, 8, 111.0));
    }

    public static CostModel read(Path file) throws IOException {
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        CostModel defaults = h200();
        return new CostModel(tableOr(root, "unet_ms", defaults.unetMs()),
                tableOr(root, "text_encoder_ms", defaults.textEncoderMs()),
                tableOr(root, "vae_decode_ms", defaults.vaeDecodeMs()),
                tableOr(root, "vae_encode_ms", defaults.vaeEncodeMs()));
    }

    public double unet(double rows) {
        return interpolate(unetMs, rows);
    }

    public double textEncoder(double rows) {
        return interpolate(textEncoderMs, rows);
    }

    public double vaeDecode(double images) {
        return interpolate(vaeDecodeMs, images);
    }

    public double vaeEncode(double images) {
        return interpolate(vaeEncodeMs, images);
    }

    static double interpolate(TreeMap<Double, Double> table, double x) {
        if (table.size() == 1 || x <= table.firstKey()) {
            return x <= table.firstKey() ? table.firstEntry().getValue()
                    : table.firstEntry().getValue() * x / table.firstKey();
        }
        Map.Entry<Double, Double> below = table.floorEntry(x);
        Map.Entry<Double, Double> above = table.ceilingEntry(x);
        if (above == null) {
            Map.Entry<Double, Double> last = table.lastEntry();
            Map.Entry<Double, Double> before = table.lowerEntry(last.getKey());
            double slope = (last.getValue() - before.getValue()) / (last.getKey() - before.getKey());
            return last.getValue() + slope * (x - last.getKey());
        }
        if (below.getKey().equals(above.getKey())) {
            return below.getValue();
        }
        double f = (x - below.getKey()) / (above.getKey() - below.getKey());
        return below.getValue() + f * (above.getValue() - below.getValue());
    }

    private static TreeMap<Double, Double> table(double... pairs) {
        TreeMap<Double, Double> out = new TreeMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            out.put(pairs[i], pairs[i + 1]);
        }
        return out;
    }

    private static TreeMap<Double, Double> tableOr(JsonNode root, String name, TreeMap<Double, Double> fallback) {
        JsonNode node = root.get(name);
        if (node == null) {
            return fallback;
        }
        TreeMap<Double, Double> out = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(Double.parseDouble(e.getKey()), e.getValue().asDouble());
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(name + " in the cost model has no points");
        }
        return out;
    }
}
