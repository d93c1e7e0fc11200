package dev.kiln.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.kiln.diffusion.batch.PromptEmbeddingCache;
import dev.kiln.diffusion.batch.StepBatchExecutor;
import dev.kiln.diffusion.batch.StepBatchOptions;
import dev.kiln.diffusion.batch.StepCall;
import dev.kiln.diffusion.batch.StepRequest;
import dev.kiln.diffusion.image.ImageDecoder;
import dev.kiln.diffusion.model.ExecutionConfig;
import dev.kiln.diffusion.model.ModelDirectory;
import dev.kiln.diffusion.model.StableDiffusionModels;
import dev.kiln.diffusion.noise.RecordedNoiseSource;
import dev.kiln.diffusion.npy.Npy;

/**
 * The pipeline (with the real tokenizer and schedulers) reproduces diffusers' own runs of the
 * shared tiny model (fixtures sd-tiny/cases) within 1e-3 on the float image, fed the draws
 * diffusers consumed.
 */
class SdTinyReferenceTest {

    private static final double TOLERANCE = 1e-3;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static DiffusionPipeline pipeline;

    @BeforeAll
    static void loadModel() {
        pipeline = PipelineFactory.open(ReferenceData.dir("sd-tiny").resolve("model"), ExecutionConfig.cpu(),
                PipelineOptions.defaults());
    }

    @AfterAll
    static void close() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Test
    void reproducesDiffusersImg2ImgPndmWithinOneThousandth() throws Exception {
        assertCaseReproduces("a_img2img_pndm");
    }

    @Test
    void reproducesDiffusersTextToImagePndmWithinOneThousandth() throws Exception {
        assertCaseReproduces("e_txt2img_pndm");
    }

    @Test
    void reproducesBothCasesSharingTheStepExecutor() throws Exception {
        List<String> names = List.of("a_img2img_pndm", "e_txt2img_pndm");
        List<StepRequest> requests = new ArrayList<>();
        for (String name : names) {
            requests.add(stepRequest(name));
        }
        Map<StepRequest, List<GeneratedImage>> images = new IdentityHashMap<>();
        try (StepBatchExecutor executor = pipeline.stepExecutor(StepBatchOptions.defaults(),
                new PromptEmbeddingCache(1 << 20))) {
            executor.admit(requests);
            while (!executor.isIdle()) {
                StepCall call = executor.step();
                List<List<GeneratedImage>> decoded = executor.decode(call.finished());
                for (int i = 0; i < decoded.size(); i++) {
                    images.put(call.finished().get(i).request(), decoded.get(i));
                }
            }
        }
        for (int i = 0; i < names.size(); i++) {
            Npy.Array expected = Npy.read(ReferenceData.dir("sd-tiny/cases/" + names.get(i)).resolve("output.npy"));
            assertThat(maxError(images.get(requests.get(i)), expected)).as(names.get(i)).isLessThanOrEqualTo(TOLERANCE);
        }
    }

    private static StepRequest stepRequest(String name) throws Exception {
        Path dir = ReferenceData.dir("sd-tiny/cases/" + name);
        JsonNode c = JSON.readTree(dir.resolve("case.json").toFile());
        boolean img2img = c.get("kind").asText().equals("img2img");
        GenerationRequest request = new GenerationRequest(c.get("prompt").asText(),
                c.get("negative_prompt").isNull() ? null : c.get("negative_prompt").asText(),
                c.get("guidance_scale").asDouble(), c.get("num_images_per_prompt").asInt(), 0L,
                img2img ? ImageDecoder.decode(Files.readAllBytes(dir.resolve("input.png"))) : null,
                RecordedNoiseSource.fromDirectory(dir));
        return StepRequest.of(request, c.get("width").asInt(), c.get("height").asInt(),
                c.get("num_inference_steps").asInt(), img2img ? c.get("strength").asDouble() : 1.0,
                c.get("scheduler").asText());
    }

    private static double maxError(List<GeneratedImage> images, Npy.Array expected) {
        assertThat(images).hasSize((int) expected.shape()[0]);
        int imageSize = expected.data().length / images.size();
        double maxError = 0;
        for (int i = 0; i < images.size(); i++) {
            float[] actual = images.get(i).rgb();
            for (int k = 0; k < imageSize; k++) {
                maxError = Math.max(maxError, Math.abs(actual[k] - expected.data()[i * imageSize + k]));
            }
        }
        return maxError;
    }

    @Test
    void tokenizesEachCasePromptToTheReferenceIds() throws Exception {
        PromptTokenizer tokenizer = PipelineFactory.tokenizer(
                ModelDirectory.open(ReferenceData.dir("sd-tiny").resolve("model")));
        for (String name : List.of("a_img2img_pndm", "e_txt2img_pndm")) {
            JsonNode c = JSON.readTree(ReferenceData.dir("sd-tiny/cases/" + name).resolve("case.json").toFile());
            assertThat(tokenizer.encode(c.get("prompt").asText())).containsExactly(ints(c.get("input_ids").get(0)));
        }
    }

    @Test
    void readsTheTinyModelsShapesFromTheGraphs() {
        StableDiffusionModels.Facts facts = pipeline.models().facts();
        assertThat(facts.hiddenSize()).isEqualTo(32);
        assertThat(facts.latentChannels()).isEqualTo(4);
        assertThat(facts.vaeScaleFactor()).isEqualTo(8);
        assertThat(facts.sequenceLength()).isEqualTo(77);
    }

    private static void assertCaseReproduces(String name) throws Exception {
        Path dir = ReferenceData.dir("sd-tiny/cases/" + name);
        JsonNode c = JSON.readTree(dir.resolve("case.json").toFile());
        boolean img2img = c.get("kind").asText().equals("img2img");
        double guidance = c.get("guidance_scale").asDouble();
        GenerationRequest request = new GenerationRequest(c.get("prompt").asText(),
                c.get("negative_prompt").isNull() ? null : c.get("negative_prompt").asText(),
                guidance, c.get("num_images_per_prompt").asInt(), 0L,
                img2img ? ImageDecoder.decode(Files.readAllBytes(dir.resolve("input.png"))) : null,
                RecordedNoiseSource.fromDirectory(dir));
        BatchSettings settings = new BatchSettings(c.get("width").asInt(), c.get("height").asInt(),
                c.get("num_inference_steps").asInt(), img2img ? c.get("strength").asDouble() : 1.0,
                c.get("scheduler").asText(), guidance > 1.0);

        GenerationResult result = pipeline.generate(settings, List.of(request));

        Npy.Array expected = Npy.read(dir.resolve("output.npy"));
        List<GeneratedImage> images = result.images(0);
        assertThat(images).hasSize((int) expected.shape()[0]);
        assertThat(result.timings().unetStepNanos()).hasSize(c.get("unet_calls").asInt());
        int imageSize = expected.data().length / images.size();
        double maxError = 0;
        for (int i = 0; i < images.size(); i++) {
            float[] actual = images.get(i).rgb();
            for (int k = 0; k < imageSize; k++) {
                maxError = Math.max(maxError, Math.abs(actual[k] - expected.data()[i * imageSize + k]));
            }
        }
        System.out.printf("%s: max abs error %.3g over %d images%n", name, maxError, images.size());
        assertThat(maxError).as("max abs error against diffusers' output.npy").isLessThanOrEqualTo(TOLERANCE);
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
