package dev.kiln.diffusion.tiny;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;

/**
 * Writes a tiny model directory with SD 1.5's ONNX layout and signatures (random weights, images
 * look like noise) so the pipeline can be tested without the shared fixtures: the same input
 * and output names, symbolic batch and spatial dims, the UNet's weights in an external data
 * file, a byte-level CLIP vocabulary, and SD 1.5's scheduler config. Each graph is a few cheap
 * ops (embedding + mixing; conv + text + time terms; pooling encoder; transposed-conv decoder)
 * that still make every input matter to the output.
 */
public final class TinyModelGenerator {

    /**
     * What to generate.
     *
     * @param hiddenSize text embedding width
     * @param latentChannels UNet latent channels
     * @param vaeScaleFactor pixels per latent pixel
     * @param fp16Unet UNet inputs and output in float16 (as an fp16 export)
     * @param int64Timestep UNet timestep as int64 instead of float32
     * @param latentSampleEncoder VAE encoder outputs a 4-channel {@code latent_sample} (its mean)
     *        instead of 8-channel {@code latent_parameters}
     * @param seed weight seed
     * @param timestepInput shape of the UNet's timestep input
     */
    public record Spec(int hiddenSize, int latentChannels, int vaeScaleFactor, boolean fp16Unet,
            boolean int64Timestep, boolean latentSampleEncoder, long seed, TimestepInput timestepInput) {

        public static Spec defaults() {
            return new Spec(16, 4, 8, false, false, false, 20251124L, TimestepInput.PER_ROW);
        }

        public Spec withFp16Unet(boolean value) {
            return new Spec(hiddenSize, latentChannels, vaeScaleFactor, value, int64Timestep, latentSampleEncoder, seed,
                    timestepInput);
        }

        public Spec withInt64Timestep(boolean value) {
            return new Spec(hiddenSize, latentChannels, vaeScaleFactor, fp16Unet, value, latentSampleEncoder, seed,
                    timestepInput);
        }

        public Spec withLatentSampleEncoder(boolean value) {
            return new Spec(hiddenSize, latentChannels, vaeScaleFactor, fp16Unet, int64Timestep, value, seed,
                    timestepInput);
        }

        public Spec withTimestepInput(TimestepInput value) {
            return new Spec(hiddenSize, latentChannels, vaeScaleFactor, fp16Unet, int64Timestep, latentSampleEncoder,
                    seed, value);
        }
    }

    /** The UNet's timestep input: one per batch row ({@code [batch]}, SD exports), {@code [1]}, or a scalar. */
    public enum TimestepInput {
        PER_ROW,
        ONE,
        SCALAR
    }

    static final int SEQUENCE_LENGTH = 77;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private TinyModelGenerator() {
    }

    public static void generate(Path dir, Spec spec) throws IOException {
        Files.createDirectories(dir);
        int vocabSize = writeTokenizer(dir.resolve("tokenizer"));
        textEncoder(spec, vocabSize).write(dir.resolve("text_encoder"));
        unet(spec).write(dir.resolve("unet"));
        vaeEncoder(spec).write(dir.resolve("vae_encoder"));
        vaeDecoder(spec).write(dir.resolve("vae_decoder"));
        writeJson(dir.resolve("scheduler/scheduler_config.json"), schedulerConfig());
        writeJson(dir.resolve("model_index.json"), modelIndex());
    }

    private static GraphBuilder textEncoder(Spec spec, int vocabSize) {
        int h = spec.hiddenSize();
        GraphBuilder g = new GraphBuilder("tiny_text_encoder", spec.seed(), null);
        g.input("input_ids", DataType.INT32, "batch", SEQUENCE_LENGTH);
        g.output("last_hidden_state", DataType.FLOAT, "batch", SEQUENCE_LENGTH, h);
        g.output("pooler_output", DataType.FLOAT, "batch", h);
        String embed = g.node("Gather", "token_embeds",
                new String[] { g.randomWeight("token_embedding", 0, 1, vocabSize, h), "input_ids" }, "axis", 0L);
        String pos = g.node("Add", "embeds", embed, g.randomWeight("position_embedding", 0, 0.1, SEQUENCE_LENGTH, h));
        String act = g.node("Tanh", "act", pos);
        // A whole-sequence term makes every token influence every position, like attention.
        String mean = g.node("ReduceMean", "seq_mean", new String[] { act }, "axes", new long[] { 1 }, "keepdims", 1L);
        String mixed = g.node("MatMul", "mixed", mean, g.randomWeight("mix", 0, 0.3, h, h));
        String last = g.node("Add", "last_hidden_state", act, mixed);
        g.node("ReduceMean", "pooler_output", new String[] { last }, "axes", new long[] { 1 }, "keepdims", 0L);
        return g;
    }

    private static GraphBuilder unet(Spec spec) {
        int c = spec.latentChannels();
        int h = spec.hiddenSize();
        GraphBuilder g = new GraphBuilder("tiny_unet", spec.seed() + 1, "weights.pb");
        DataType io = spec.fp16Unet() ? DataType.FLOAT16 : DataType.FLOAT;
        g.input("sample", io, "batch", c, "height", "width");
        DataType timestepType = spec.int64Timestep() ? DataType.INT64 : io;
        switch (spec.timestepInput()) {
            case PER_ROW -> g.input("timestep", timestepType, "batch");
            case ONE -> g.input("timestep", timestepType, 1);
            case SCALAR -> g.input("timestep", timestepType);
        }
        g.input("encoder_hidden_states", io, "batch", SEQUENCE_LENGTH, h);
        g.output("out_sample", io, "batch", c, "height", "width");
        String sample = "sample";
        String hidden = "encoder_hidden_states";
        String timestep = "timestep";
        if (spec.fp16Unet()) {
            sample = g.node("Cast", "sample_f32", new String[] { sample }, "to", (long) DataType.FLOAT.getNumber());
            hidden = g.node("Cast", "hidden_f32", new String[] { hidden }, "to", (long) DataType.FLOAT.getNumber());
        }
        if (spec.int64Timestep() || spec.fp16Unet()) {
            timestep = g.node("Cast", "timestep_f32", new String[] { timestep }, "to", (long) DataType.FLOAT.getNumber());
        }
        String conv = g.node("Conv", "conv", new String[] { sample, g.randomWeight("conv_w", 0, 0.15, c, c, 3, 3),
                g.randomWeight("conv_b", 0, 0.05, c) }, "pads", new long[] { 1, 1, 1, 1 });
        String textMean = g.node("ReduceMean", "text_mean", new String[] { hidden }, "axes", new long[] { 1 }, "keepdims", 0L);
        String text = g.node("MatMul", "text_proj", textMean, g.randomWeight("text_w", 0, 0.3, h, c));
        String text4d = g.node("Reshape", "text_4d", text, g.longs("text_shape", -1, c, 1, 1));
        String t = g.node("Div", "t_scaled", timestep, g.scalar("thousand", 1000f));
        String t4d = g.node("Reshape", "t_4d", t, g.longs("t_shape", -1, 1, 1, 1));
        String time = g.node("Mul", "time_term", t4d, g.randomWeight("time_w", 0, 0.2, 1, c, 1, 1));
        String sum = g.node("Add", "sum1", conv, text4d);
        String out = g.node("Add", spec.fp16Unet() ? "out_f32" : "out_pre", sum, time);
        String result = g.node("Tanh", spec.fp16Unet() ? "out_tanh" : "out_sample", out);
        if (spec.fp16Unet()) {
            g.node("Cast", "out_sample", new String[] { result }, "to", (long) DataType.FLOAT16.getNumber());
        }
        return g;
    }

    private static GraphBuilder vaeEncoder(Spec spec) {
        int c = spec.latentChannels();
        long f = spec.vaeScaleFactor();
        GraphBuilder g = new GraphBuilder("tiny_vae_encoder", spec.seed() + 2, null);
        g.input("sample", DataType.FLOAT, "batch", 3, "height", "width");
        int outChannels = spec.latentSampleEncoder() ? c : 2 * c;
        String outName = spec.latentSampleEncoder() ? "latent_sample" : "latent_parameters";
        g.output(outName, DataType.FLOAT, "batch", outChannels, "latent_height", "latent_width");
        String pooled = g.node("AveragePool", "pooled", new String[] { "sample" },
                "kernel_shape", new long[] { f, f }, "strides", new long[] { f, f });
        float[] bias = new float[outChannels];
        for (int i = c; i < outChannels; i++) {
            bias[i] = -4f; // logvar around -4: a posterior std near 0.14, like a trained VAE's
        }
        g.node("Conv", outName, new String[] { pooled, g.randomWeight("proj_w", 0, 0.5, outChannels, 3, 1, 1),
                g.weight("proj_b", bias, outChannels) });
        return g;
    }

    private static GraphBuilder vaeDecoder(Spec spec) {
        int c = spec.latentChannels();
        long f = spec.vaeScaleFactor();
        GraphBuilder g = new GraphBuilder("tiny_vae_decoder", spec.seed() + 3, null);
        g.input("latent_sample", DataType.FLOAT, "batch", c, "latent_height", "latent_width");
        g.output("sample", DataType.FLOAT, "batch", 3, "height", "width");
        String up = g.node("ConvTranspose", "up", new String[] { "latent_sample",
                g.randomWeight("up_w", 0, 0.1, c, 3, f, f), g.randomWeight("up_b", 0, 0.05, 3) },
                "strides", new long[] { f, f });
        g.node("Tanh", "sample", up);
        return g;
    }

    /**
     * A byte-level CLIP vocabulary: the 256 byte symbols, the same with {@code </w>}, a few
     * merges, then the start and end tokens. Returns the vocabulary size.
     */
    private static int writeTokenizer(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<String> symbols = byteSymbols();
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (String s : symbols) {
            vocab.put(s, vocab.size());
        }
        for (String s : symbols) {
            vocab.put(s + "</w>", vocab.size());
        }
        List<String[]> merges = List.of(new String[] { "t", "h" }, new String[] { "th", "e</w>" },
                new String[] { "a", "t</w>" }, new String[] { "c", "at</w>" });
        List<String> mergeLines = new ArrayList<>();
        mergeLines.add("#version: 0.2");
        for (String[] merge : merges) {
            vocab.put(merge[0] + merge[1], vocab.size());
            mergeLines.add(merge[0] + " " + merge[1]);
        }
        vocab.put("<|startoftext|>", vocab.size());
        vocab.put("<|endoftext|>", vocab.size());
        writeJson(dir.resolve("vocab.json"), vocab);
        Files.write(dir.resolve("merges.txt"), mergeLines, StandardCharsets.UTF_8);
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("model_max_length", SEQUENCE_LENGTH);
        config.put("bos_token", "<|startoftext|>");
        config.put("eos_token", "<|endoftext|>");
        config.put("pad_token", "<|endoftext|>");
        config.put("unk_token", "<|endoftext|>");
        config.put("do_lower_case", true);
        config.put("tokenizer_class", "CLIPTokenizer");
        writeJson(dir.resolve("tokenizer_config.json"), config);
        return vocab.size();
    }

    /** GPT-2/CLIP {@code bytes_to_unicode}, in vocabulary order. */
    private static List<String> byteSymbols() {
        List<Integer> bytes = new ArrayList<>();
        for (int b = '!'; b <= '~'; b++) {
            bytes.add(b);
        }
        for (int b = 0xA1; b <= 0xAC; b++) {
            bytes.add(b);
        }
        for (int b = 0xAE; b <= 0xFF; b++) {
            bytes.add(b);
        }
        List<Integer> chars = new ArrayList<>(bytes);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            if (!bytes.contains(b)) {
                bytes.add(b);
                chars.add(256 + n++);
            }
        }
        List<String> out = new ArrayList<>();
        for (int ch : chars) {
            out.add(new String(Character.toChars(ch)));
        }
        return out;
    }

    private static Map<String, Object> schedulerConfig() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("_class_name", "PNDMScheduler");
        c.put("_diffusers_version", "0.6.0");
        c.put("beta_end", 0.012);
        c.put("beta_schedule", "scaled_linear");
        c.put("beta_start", 0.00085);
        c.put("num_train_timesteps", 1000);
        c.put("set_alpha_to_one", false);
        c.put("skip_prk_steps", true);
        c.put("steps_offset", 1);
        c.put("trained_betas", null);
        c.put("clip_sample", false);
        return c;
    }

    private static Map<String, Object> modelIndex() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("_class_name", "OnnxStableDiffusionPipeline");
        m.put("_diffusers_version", "0.21.4");
        for (String part : List.of("text_encoder", "unet", "vae_encoder", "vae_decoder")) {
            m.put(part, List.of("onnx", "model.onnx"));
        }
        m.put("tokenizer", List.of("transformers", "CLIPTokenizer"));
        m.put("scheduler", List.of("diffusers", "PNDMScheduler"));
        m.put("note", "Kiln tiny model: random weights, SD 1.5 ONNX signatures");
        return m;
    }

    private static void writeJson(Path file, Object value) throws IOException {
        Files.createDirectories(file.getParent());
        JSON.writeValue(file.toFile(), value);
    }
}
