package dev.kiln.diffusion.model;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

/**
 * The four ONNX sessions of an SD 1.5 export and the facts read from them: hidden size, latent
 * channels, VAE down-scaling, sequence length, element and timestep types. Nothing about a
 * particular model (tiny or real) is assumed beyond the export's input and output names.
 *
 * <p>
 * Sessions are opened once and live as long as this object; {@link #close} releases them.
 */
public final class StableDiffusionModels implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(StableDiffusionModels.class.getName());
    private static final int DEFAULT_SEQUENCE_LENGTH = 77;

    private final OrtEnvironment env;
    private final ModelDirectory directory;
    private final String provider;
    private final OnnxModel textEncoder;
    private final OnnxModel unet;
    private final OnnxModel vaeEncoder;
    private final OnnxModel vaeDecoder;
    private final Facts facts;

    /**
     * What the pipeline needs to know about the models.
     *
     * @param hiddenSize text embedding width (32 tiny, 768 SD 1.5)
     * @param sequenceLength tokens per prompt (77)
     * @param latentChannels UNet latent channels (4)
     * @param vaeScaleFactor image pixels per latent pixel (8)
     * @param vaeScalingFactor latent scaling (0.18215 for SD 1.5)
     * @param timestepType element type of the UNet's timestep input
     * @param timestepPerRow whether the UNet takes one timestep per batch row ({@code [batch]})
     *        rather than one for all ({@code [1]} or a scalar)
     * @param timestepRank rank of the timestep input (0 or 1)
     */
    public record Facts(int hiddenSize, int sequenceLength, int latentChannels, int vaeScaleFactor,
            double vaeScalingFactor, OnnxJavaType timestepType, boolean timestepPerRow, int timestepRank) {
    }

    private final String idsInput;
    private final OnnxJavaType idsType;
    private final String hiddenOutput;
    private final OnnxJavaType unetSampleType;
    private final OnnxJavaType hiddenStatesType;
    private final String unetOutput;
    private final String vaeEncoderInput;
    private final OnnxJavaType vaeEncoderInputType;
    private final String vaeEncoderOutput;
    private final String vaeDecoderInput;
    private final OnnxJavaType vaeDecoderInputType;
    private final String vaeDecoderOutput;

    private StableDiffusionModels(OrtEnvironment env, ModelDirectory directory, ExecutionProviders.Selection selection) {
        this.env = env;
        this.directory = directory;
        this.provider = selection.provider();
        OnnxModel te = null;
        OnnxModel un = null;
        OnnxModel ve = null;
        OnnxModel vd = null;
        try {
            te = open(env, directory.textEncoder().toString(), directory, selection, "text_encoder");
            un = open(env, directory.unet().toString(), directory, selection, "unet");
            ve = open(env, directory.vaeEncoder().toString(), directory, selection, "vae_encoder");
            vd = open(env, directory.vaeDecoder().toString(), directory, selection, "vae_decoder");
        } catch (RuntimeException e) {
            closeQuietly(te, un, ve, vd);
            throw e;
        }
        this.textEncoder = te;
        this.unet = un;
        this.vaeEncoder = ve;
        this.vaeDecoder = vd;
        try {
            TensorSpec ids = textEncoder.requireInput("input_ids");
            this.idsInput = ids.name();
            this.idsType = ids.type();
            this.hiddenOutput = textEncoder.findOutput("last_hidden_state")
                    .orElseThrow(() -> new ModelLoadException(textEncoder.file() + " has no output 'last_hidden_state'"))
                    .name();

            TensorSpec sample = unet.requireInput("sample");
            TensorSpec timestep = unet.requireInput("timestep");
            TensorSpec hidden = unet.requireInput("encoder_hidden_states");
            Set<String> extra = new HashSet<>(unet.inputs().keySet());
            extra.removeAll(Set.of("sample", "timestep", "encoder_hidden_states"));
            if (!extra.isEmpty()) {
                throw new ModelLoadException(unet.file() + " has inputs " + extra
                        + " that an SD 1.5 UNet does not (is this an SDXL or ControlNet export?)");
            }
            this.unetSampleType = sample.type();
            this.hiddenStatesType = hidden.type();
            this.unetOutput = unet.findOutput("out_sample").orElseGet(() -> unet.outputs().values().iterator().next()).name();

            TensorSpec encIn = vaeEncoder.requireInput("sample");
            this.vaeEncoderInput = encIn.name();
            this.vaeEncoderInputType = encIn.type();
            this.vaeEncoderOutput = vaeEncoder.findOutput("latent_parameters", "latent_sample", "latent_dist")
                    .orElseThrow(() -> new ModelLoadException(vaeEncoder.file()
                            + " has neither 'latent_parameters' nor 'latent_sample' output"))
                    .name();
            TensorSpec decIn = vaeDecoder.requireInput("latent_sample");
            this.vaeDecoderInput = decIn.name();
            this.vaeDecoderInputType = decIn.type();
            this.vaeDecoderOutput = vaeDecoder.findOutput("sample")
                    .orElseThrow(() -> new ModelLoadException(vaeDecoder.file() + " has no output 'sample'")).name();

            int sequenceLength = ids.dim(1) > 0 ? (int) ids.dim(1)
                    : directory.tokenizerMaxLength().orElse(DEFAULT_SEQUENCE_LENGTH);
            int latentChannels = sample.dim(1) > 0 ? (int) sample.dim(1) : (int) decIn.dim(1);
            if (latentChannels <= 0) {
                throw new ModelLoadException(unet.file() + " and " + vaeDecoder.file()
                        + " leave the latent channel count symbolic; cannot size latents");
            }
            if (timestep.rank() > 1) {
                throw new ModelLoadException(unet.file() + " timestep input must be a scalar or 1-D, is " + timestep);
            }
            // Probing runs double as warm-up: first-run allocations happen before readiness.
            int hiddenSize = probeHiddenSize(sequenceLength);
            int vaeScaleFactor = probeVaeScaleFactor(latentChannels);
            this.facts = new Facts(hiddenSize, sequenceLength, latentChannels, vaeScaleFactor,
                    directory.vaeScalingFactor(), timestep.type(),
                    timestep.rank() == 1 && timestep.dim(0) != 1, timestep.rank());
        } catch (OrtException e) {
            close();
            throw new ModelLoadException("probing models in " + directory.root() + " failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        LOG.log(System.Logger.Level.INFO, "loaded SD model " + directory.root() + " on " + provider + ": " + facts
                + ", unet sample " + unetSampleType);
    }

    /** Validates {@code directory}, opens its sessions with the configured provider and probes them. */
    public static StableDiffusionModels load(ModelDirectory directory, ExecutionConfig config) {
        return new StableDiffusionModels(OrtEnvironment.getEnvironment(), directory, ExecutionProviders.select(config));
    }

    private static OnnxModel open(OrtEnvironment env, String file, ModelDirectory dir,
            ExecutionProviders.Selection selection, String what) {
        try (OrtSession.SessionOptions options = selection.sessionOptions().get()) {
            return OnnxModel.open(env, Path.of(file), options);
        }
    }

    private int probeHiddenSize(int sequenceLength) throws OrtException {
        int[] ids = new int[sequenceLength];
        try (OnnxTensor input = Tensors.fromInts(env, idsType, ids, new long[] { 1, sequenceLength })) {
            OnnxModel.FloatOutput out = textEncoder.runForFloats(Map.of(idsInput, input), hiddenOutput);
            if (out.shape().length != 3) {
                throw new ModelLoadException(textEncoder.file() + " last_hidden_state should be [batch, seq, hidden], is "
                        + Arrays.toString(out.shape()));
            }
            return (int) out.shape()[2];
        }
    }

    private int probeVaeScaleFactor(int latentChannels) throws OrtException {
        int side = 2;
        float[] zeros = new float[latentChannels * side * side];
        try (OnnxTensor input = Tensors.fromFloats(env, vaeDecoderInputType, zeros,
                new long[] { 1, latentChannels, side, side })) {
            OnnxModel.FloatOutput out = vaeDecoder.runForFloats(Map.of(vaeDecoderInput, input), vaeDecoderOutput);
            return (int) (out.shape()[2] / side);
        }
    }

    public OrtEnvironment env() {
        return env;
    }

    public ModelDirectory directory() {
        return directory;
    }

    /** The execution provider actually in use: {@code CPU} or {@code CUDA}. */
    public String provider() {
        return provider;
    }

    public Facts facts() {
        return facts;
    }

    /** Text encoder: token ids [rows, seq] to hidden states [rows, seq, hidden]. */
    public float[] encodeText(int[] ids, int rows) throws OrtException {
        try (OnnxTensor input = Tensors.fromInts(env, idsType, ids, new long[] { rows, facts.sequenceLength() })) {
            return textEncoder.runForFloats(Map.of(idsInput, input), hiddenOutput).data();
        }
    }

    /** Creates the UNet's encoder_hidden_states tensor once per batch; the caller closes it. */
    public OnnxTensor hiddenStatesTensor(float[] hidden, int rows) throws OrtException {
        return Tensors.fromFloats(env, hiddenStatesType, hidden,
                new long[] { rows, facts.sequenceLength(), facts.hiddenSize() });
    }

    /** One UNet evaluation: noise prediction for {@code rows} latents at {@code timestep}. */
    public float[] unet(float[] latents, int rows, int latentHeight, int latentWidth, double timestep,
            OnnxTensor hiddenStates) throws OrtException {
        float[] t;
        long[] tShape;
        if (facts.timestepRank() == 0) {
            t = new float[] { (float) timestep };
            tShape = new long[0];
        } else if (facts.timestepPerRow()) {
            t = new float[rows];
            Arrays.fill(t, (float) timestep);
            tShape = new long[] { rows };
        } else {
            t = new float[] { (float) timestep };
            tShape = new long[] { 1 };
        }
        try (OnnxTensor sample = Tensors.fromFloats(env, unetSampleType, latents,
                new long[] { rows, facts.latentChannels(), latentHeight, latentWidth });
                OnnxTensor timestepTensor = Tensors.fromFloats(env, facts.timestepType(), t, tShape)) {
            return unet.runForFloats(Map.of("sample", sample, "timestep", timestepTensor,
                    "encoder_hidden_states", hiddenStates), unetOutput).data();
        }
    }

    /**
     * One UNet evaluation with one timestep per row ({@code timesteps.length == rows}). An export whose
     * timestep is a scalar or {@code [1]} ({@link Facts#timestepPerRow()} false) takes one value for the
     * whole call, so every row must then carry the same timestep.
     */
    public float[] unet(float[] latents, int rows, int latentHeight, int latentWidth, float[] timesteps,
            OnnxTensor hiddenStates) throws OrtException {
        if (timesteps.length != rows) {
            throw new IllegalArgumentException(timesteps.length + " timesteps for " + rows + " rows");
        }
        float[] t = timesteps;
        long[] tShape = new long[] { rows };
        if (!facts.timestepPerRow()) {
            for (float value : timesteps) {
                if (value != timesteps[0]) {
                    throw new IllegalArgumentException("this UNet takes one timestep per call ("
                            + (facts.timestepRank() == 0 ? "scalar" : "[1]") + "), rows differ: "
                            + Arrays.toString(timesteps));
                }
            }
            t = new float[] { timesteps[0] };
            tShape = facts.timestepRank() == 0 ? new long[0] : new long[] { 1 };
        }
        try (OnnxTensor sample = Tensors.fromFloats(env, unetSampleType, latents,
                new long[] { rows, facts.latentChannels(), latentHeight, latentWidth });
                OnnxTensor timestepTensor = Tensors.fromFloats(env, facts.timestepType(), t, tShape)) {
            return unet.runForFloats(Map.of("sample", sample, "timestep", timestepTensor,
                    "encoder_hidden_states", hiddenStates), unetOutput).data();
        }
    }

    /** VAE encoder: images [rows, 3, H, W] in [-1, 1] to its raw output and that output's shape. */
    public OnnxModel.FloatOutput encodeImages(float[] images, int rows, int height, int width) throws OrtException {
        try (OnnxTensor input = Tensors.fromFloats(env, vaeEncoderInputType, images, new long[] { rows, 3, height, width })) {
            return vaeEncoder.runForFloats(Map.of(vaeEncoderInput, input), vaeEncoderOutput);
        }
    }

    /** VAE decoder: unscaled latents [rows, C, h, w] to images [rows, 3, H, W] in about [-1, 1]. */
    public float[] decodeLatents(float[] latents, int rows, int latentHeight, int latentWidth) throws OrtException {
        try (OnnxTensor input = Tensors.fromFloats(env, vaeDecoderInputType, latents,
                new long[] { rows, facts.latentChannels(), latentHeight, latentWidth })) {
            return vaeDecoder.runForFloats(Map.of(vaeDecoderInput, input), vaeDecoderOutput).data();
        }
    }

    /**
     * Nanoseconds spent inside ONNX Runtime's {@code run} across the four sessions since load
     * (tensor creation and output copies excluded: those are Kiln's overhead).
     */
    public long onnxRunNanos() {
        return textEncoder.runNanos() + unet.runNanos() + vaeEncoder.runNanos() + vaeDecoder.runNanos();
    }

    /** Calling-thread CPU time inside ONNX Runtime's {@code run} since load, see {@link OnnxModel#runCpuNanos}. */
    public long onnxRunCpuNanos() {
        return textEncoder.runCpuNanos() + unet.runCpuNanos() + vaeEncoder.runCpuNanos() + vaeDecoder.runCpuNanos();
    }

    @Override
    public void close() {
        closeQuietly(textEncoder, unet, vaeEncoder, vaeDecoder);
    }

    private static void closeQuietly(OnnxModel... models) {
        for (OnnxModel model : models) {
            if (model != null) {
                try {
                    model.close();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "closing " + model.file() + " failed: " + e);
                }
            }
        }
    }
}
