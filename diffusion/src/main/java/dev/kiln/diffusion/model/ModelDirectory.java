package dev.kiln.diffusion.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A Stable Diffusion 1.5 model directory in the diffusers / optimum ONNX layout:
 *
 * <pre>
 * model_index.json
 * text_encoder/model.onnx
 * unet/model.onnx (+ external weight files next to it)
 * vae_encoder/model.onnx
 * vae_decoder/model.onnx (+ optional config.json with scaling_factor)
 * tokenizer/vocab.json, tokenizer/merges.txt
 * scheduler/scheduler_config.json
 * </pre>
 *
 * {@link #open} checks every file exists and every JSON file parses, so a broken directory
 * fails at start-up with the offending file named rather than mid-request.
 */
public record ModelDirectory(Path root) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** SD 1.5's VAE scaling factor, used when no VAE config.json says otherwise. */
    public static final double DEFAULT_VAE_SCALING_FACTOR = 0.18215;

    public static ModelDirectory open(Path root) {
        if (!Files.isDirectory(root)) {
            throw new ModelLoadException("model directory " + root + " does not exist or is not a directory");
        }
        ModelDirectory dir = new ModelDirectory(root.toAbsolutePath().normalize());
        for (Path required : List.of(dir.textEncoder(), dir.unet(), dir.vaeEncoder(), dir.vaeDecoder(),
                dir.vocab(), dir.merges(), dir.schedulerConfig(), dir.modelIndex())) {
            if (!Files.isRegularFile(required)) {
                throw new ModelLoadException("model directory " + dir.root + " is missing " + required);
            }
            if (Files.isReadable(required) && sizeOf(required) == 0) {
                throw new ModelLoadException("model file " + required + " is empty");
            }
        }
        readJson(dir.modelIndex());
        readJson(dir.schedulerConfig());
        readJson(dir.vocab());
        dir.vaeConfig().ifPresent(ModelDirectory::readJson);
        return dir;
    }

    public Path modelIndex() {
        return root.resolve("model_index.json");
    }

    public Path textEncoder() {
        return root.resolve("text_encoder/model.onnx");
    }

    public Path unet() {
        return root.resolve("unet/model.onnx");
    }

    public Path vaeEncoder() {
        return root.resolve("vae_encoder/model.onnx");
    }

    public Path vaeDecoder() {
        return root.resolve("vae_decoder/model.onnx");
    }

    public Path tokenizerDir() {
        return root.resolve("tokenizer");
    }

    public Path vocab() {
        return root.resolve("tokenizer/vocab.json");
    }

    public Path merges() {
        return root.resolve("tokenizer/merges.txt");
    }

    public Path schedulerConfig() {
        return root.resolve("scheduler/scheduler_config.json");
    }

    /** optimum writes the VAE's diffusers config next to each VAE graph; older exports do not. */
    public Optional<Path> vaeConfig() {
        for (Path candidate : List.of(root.resolve("vae_decoder/config.json"), root.resolve("vae_encoder/config.json"),
                root.resolve("vae/config.json"))) {
            if (Files.isRegularFile(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** {@code scaling_factor} from the VAE config, else SD 1.5's 0.18215. */
    public double vaeScalingFactor() {
        return vaeConfig().map(ModelDirectory::readJson)
                .map(node -> node.path("scaling_factor"))
                .filter(JsonNode::isNumber)
                .map(JsonNode::asDouble)
                .orElse(DEFAULT_VAE_SCALING_FACTOR);
    }

    /** {@code model_max_length} from tokenizer_config.json when present. */
    public Optional<Integer> tokenizerMaxLength() {
        Path config = root.resolve("tokenizer/tokenizer_config.json");
        if (!Files.isRegularFile(config)) {
            return Optional.empty();
        }
        JsonNode length = readJson(config).path("model_max_length");
        return length.isInt() ? Optional.of(length.asInt()) : Optional.empty();
    }

    static JsonNode readJson(Path file) {
        try {
            JsonNode node = JSON.readTree(file.toFile());
            if (node == null || !node.isObject()) {
                throw new ModelLoadException("model file " + file + " is not a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw new ModelLoadException("model file " + file + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new ModelLoadException("cannot read model file " + file + ": " + e.getMessage(), e);
        }
    }
}
