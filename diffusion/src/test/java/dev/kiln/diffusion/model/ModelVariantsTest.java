package dev.kiln.diffusion.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.kiln.diffusion.BatchSettings;
import dev.kiln.diffusion.DiffusionPipeline;
import dev.kiln.diffusion.GeneratedImage;
import dev.kiln.diffusion.GenerationRequest;
import dev.kiln.diffusion.TinyModels;
import dev.kiln.diffusion.image.RgbImage;
import dev.kiln.diffusion.tiny.TinyModelGenerator.Spec;

/** Export variants the pipeline reads from the graphs instead of assuming. */
class ModelVariantsTest {

    private static final BatchSettings IMG2IMG = new BatchSettings(32, 32, 3, 0.8, "pndm", true);

    private static GeneratedImage run(Spec spec) {
        byte[] rgb = new byte[32 * 32 * 3];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) (i * 7);
        }
        GenerationRequest request = new GenerationRequest("a red fox", null, 7.5, 1, 5,
                new RgbImage(32, 32, rgb), null);
        try (DiffusionPipeline pipeline = TinyModels.open(spec)) {
            return pipeline.generate(IMG2IMG, List.of(request)).images(0).get(0);
        }
    }

    private static double maxDifference(GeneratedImage a, GeneratedImage b) {
        double max = 0;
        for (int i = 0; i < a.rgb().length; i++) {
            max = Math.max(max, Math.abs(a.rgb()[i] - b.rgb()[i]));
        }
        return max;
    }

    @Test
    void keepsTheUnetWeightsInAnExternalDataFile() throws IOException {
        Path unet = TinyModels.directory(Spec.defaults()).resolve("unet");
        ai.onnx.proto.OnnxMl.ModelProto model = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(
                Files.readAllBytes(unet.resolve("model.onnx")));
        List<String> external = model.getGraph().getInitializerList().stream()
                .filter(t -> t.getDataLocation() == ai.onnx.proto.OnnxMl.TensorProto.DataLocation.EXTERNAL)
                .map(t -> t.getExternalData(0).getValue())
                .toList();
        assertThat(external).isNotEmpty().allMatch("weights.pb"::equals);
        assertThat(unet.resolve("weights.pb").toFile().length()).isPositive();
    }

    @Test
    void readsHiddenSizeAndTimestepTypeFromTheGraphs() {
        try (DiffusionPipeline pipeline = TinyModels.open(Spec.defaults().withInt64Timestep(true))) {
            StableDiffusionModels.Facts facts = pipeline.models().facts();
            assertThat(facts.hiddenSize()).isEqualTo(16);
            assertThat(facts.timestepType()).isEqualTo(ai.onnxruntime.OnnxJavaType.INT64);
        }
    }

    @Test
    void float16UnetMatchesFloat32UnetClosely() {
        double difference = maxDifference(run(Spec.defaults()), run(Spec.defaults().withFp16Unet(true)));
        assertThat(difference).isLessThan(2e-2);
    }

    @Test
    void int64TimestepUnetRunsLikeTheFloatOne() {
        // PNDM's timesteps are integers, so an int64 timestep carries the same value.
        assertThat(maxDifference(run(Spec.defaults()), run(Spec.defaults().withInt64Timestep(true))))
                .isLessThanOrEqualTo(1e-5);
    }

    @Test
    void vaeEncoderWithLatentSampleOutputWorks() {
        GeneratedImage image = run(Spec.defaults().withLatentSampleEncoder(true));
        assertThat(image.rgb()).hasSize(32 * 32 * 3);
        for (float v : image.rgb()) {
            assertThat(v).isBetween(0f, 1f);
        }
    }

    @Test
    void generatedDirectoryHasTheExportLayout() {
        Path dir = TinyModels.directory(Spec.defaults());
        for (String file : List.of("model_index.json", "text_encoder/model.onnx", "unet/model.onnx",
                "vae_encoder/model.onnx", "vae_decoder/model.onnx", "tokenizer/vocab.json", "tokenizer/merges.txt",
                "scheduler/scheduler_config.json")) {
            assertThat(Files.isRegularFile(dir.resolve(file))).as(file).isTrue();
        }
    }
}
