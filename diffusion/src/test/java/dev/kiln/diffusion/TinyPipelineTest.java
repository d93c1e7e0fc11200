package dev.kiln.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.kiln.diffusion.image.RgbImage;
import dev.kiln.diffusion.scheduler.Schedulers;
import dev.kiln.diffusion.tiny.TinyModelGenerator;

/** Pipeline behaviour on the project's own generated tiny model (no fixtures needed). */
class TinyPipelineTest {

    private static DiffusionPipeline pipeline;

    @BeforeAll
    static void open() {
        pipeline = TinyModels.open(TinyModelGenerator.Spec.defaults());
    }

    @AfterAll
    static void close() {
        pipeline.close();
    }

    private static BatchSettings txt2img(boolean guidance) {
        return new BatchSettings(64, 48, 4, 1.0, "pndm", guidance);
    }

    private static BatchSettings img2img(double strength, String scheduler) {
        return new BatchSettings(64, 48, 4, strength, scheduler, true);
    }

    private static RgbImage gradient(int width, int height) {
        byte[] rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int p = (y * width + x) * 3;
                rgb[p] = (byte) (x * 255 / width);
                rgb[p + 1] = (byte) (y * 255 / height);
                rgb[p + 2] = (byte) 128;
            }
        }
        return new RgbImage(width, height, rgb);
    }

    private static double maxDifference(GeneratedImage a, GeneratedImage b) {
        double max = 0;
        for (int i = 0; i < a.rgb().length; i++) {
            max = Math.max(max, Math.abs(a.rgb()[i] - b.rgb()[i]));
        }
        return max;
    }

    @Test
    void sameSeedGivesTheSameImage() {
        GenerationRequest request = GenerationRequest.textToImage("a red fox", 7.5, 1, 42);
        GeneratedImage first = pipeline.generate(txt2img(true), List.of(request)).images(0).get(0);
        GeneratedImage second = pipeline.generate(txt2img(true), List.of(request)).images(0).get(0);
        assertThat(second.rgb()).containsExactly(first.rgb());
    }

    @Test
    void differentSeedsGiveDifferentImages() {
        GeneratedImage a = pipeline.generate(txt2img(true),
                List.of(GenerationRequest.textToImage("a red fox", 7.5, 1, 1))).images(0).get(0);
        GeneratedImage b = pipeline.generate(txt2img(true),
                List.of(GenerationRequest.textToImage("a red fox", 7.5, 1, 2))).images(0).get(0);
        assertThat(maxDifference(a, b)).isGreaterThan(0.05);
    }

    @Test
    void producesImagesOfTheRequestedSize() {
        GeneratedImage image = pipeline.generate(txt2img(true),
                List.of(GenerationRequest.textToImage("a red fox", 7.5, 1, 1))).images(0).get(0);
        assertThat(image.width()).isEqualTo(64);
        assertThat(image.height()).isEqualTo(48);
        assertThat(image.rgb()).hasSize(64 * 48 * 3);
    }

    @Test
    void requestImageDoesNotDependOnItsBatchMates() {
        GenerationRequest fox = GenerationRequest.textToImage("a red fox", 7.5, 2, 11)
                .withNegativePrompt("blurry");
        GenerationRequest owl = GenerationRequest.textToImage("an owl at night", 3.0, 1, 99);
        GenerationRequest cat = GenerationRequest.textToImage("the cat", 12.0, 1, 5)
                .withNegativePrompt("dogs");

        List<GeneratedImage> alone = pipeline.generate(txt2img(true), List.of(owl)).images(0);
        List<GeneratedImage> batched = pipeline.generate(txt2img(true), List.of(fox, owl, cat)).images(1);

        assertThat(maxDifference(alone.get(0), batched.get(0))).isLessThanOrEqualTo(1e-3);
    }

    @Test
    void img2imgRequestDoesNotDependOnItsBatchMates() {
        GenerationRequest fox = new GenerationRequest("a red fox", "blurry", 7.5, 1, 11, gradient(64, 48), null);
        GenerationRequest owl = new GenerationRequest("an owl", null, 4.0, 2, 99, gradient(32, 32), null);

        List<GeneratedImage> alone = pipeline.generate(img2img(0.6, "pndm"), List.of(owl)).images(0);
        List<GeneratedImage> batched = pipeline.generate(img2img(0.6, "pndm"), List.of(fox, owl)).images(1);

        assertThat(maxDifference(alone.get(1), batched.get(1))).isLessThanOrEqualTo(1e-3);
    }

    @Test
    void returnsNDistinctImagesPerPrompt() {
        List<GeneratedImage> images = pipeline.generate(txt2img(true),
                List.of(GenerationRequest.textToImage("a red fox", 7.5, 3, 7))).images(0);
        assertThat(images).hasSize(3);
        assertThat(maxDifference(images.get(0), images.get(1))).isGreaterThan(0.01);
        assertThat(maxDifference(images.get(1), images.get(2))).isGreaterThan(0.01);
    }

    @Test
    void negativePromptChangesTheImageUnderGuidance() {
        GenerationRequest plain = GenerationRequest.textToImage("a red fox", 7.5, 1, 3);
        GeneratedImage without = pipeline.generate(txt2img(true), List.of(plain)).images(0).get(0);
        GeneratedImage with = pipeline.generate(txt2img(true),
                List.of(plain.withNegativePrompt("snow"))).images(0).get(0);
        assertThat(maxDifference(without, with)).isGreaterThan(1e-3);
    }

    @Test
    void guidanceAtMostOneRunsNoUnconditionalPass() {
        // Without an unconditional pass the negative prompt cannot influence anything.
        GenerationRequest plain = GenerationRequest.textToImage("a red fox", 1.0, 1, 3);
        GeneratedImage without = pipeline.generate(txt2img(false), List.of(plain)).images(0).get(0);
        GeneratedImage with = pipeline.generate(txt2img(false),
                List.of(plain.withNegativePrompt("snow"))).images(0).get(0);
        assertThat(with.rgb()).containsExactly(without.rgb());
    }

    @Test
    void rejectsAGuidanceScaleThatDisagreesWithTheBatch() {
        assertThatThrownBy(() -> pipeline.generate(txt2img(false),
                List.of(GenerationRequest.textToImage("a red fox", 7.5, 1, 3))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("classifierFreeGuidance");
    }

    @Test
    void strengthOneRunsEveryStep() {
        GenerationRequest request = new GenerationRequest("a red fox", null, 7.5, 1, 1, gradient(64, 48), null);
        GenerationResult result = pipeline.generate(img2img(1.0, "ddim"), List.of(request));
        assertThat(result.timings().unetStepNanos()).hasSize(4);
    }

    @Test
    void lowerStrengthRunsFewerSteps() {
        GenerationRequest request = new GenerationRequest("a red fox", null, 7.5, 1, 1, gradient(64, 48), null);
        GenerationResult result = pipeline.generate(img2img(0.5, "ddim"), List.of(request));
        assertThat(result.timings().unetStepNanos()).hasSize(2);
    }

    @Test
    void everySchedulerRunsTextToImageAndImg2Img() {
        for (String scheduler : Schedulers.NAMES) {
            GenerationResult txt = pipeline.generate(new BatchSettings(64, 48, 3, 1.0, scheduler, true),
                    List.of(GenerationRequest.textToImage("a red fox", 7.5, 2, 1)));
            GenerationResult img = pipeline.generate(img2img(0.7, scheduler),
                    List.of(new GenerationRequest("a red fox", null, 7.5, 1, 1, gradient(64, 48), null)));
            for (GeneratedImage image : List.of(txt.images(0).get(0), txt.images(0).get(1), img.images(0).get(0))) {
                for (float v : image.rgb()) {
                    assertThat(v).as(scheduler).isBetween(0f, 1f);
                }
            }
        }
    }

    @Test
    void stopsBetweenStepsWhenCancelled() {
        AtomicInteger polls = new AtomicInteger();
        assertThatThrownBy(() -> pipeline.generate(txt2img(true),
                List.of(GenerationRequest.textToImage("a red fox", 7.5, 1, 1)),
                () -> polls.incrementAndGet() > 2))
                .isInstanceOf(CancellationException.class);
        assertThat(polls.get()).isEqualTo(3);
    }

    @Test
    void reportsTimingsForEveryStage() {
        StageTimings timings = pipeline.generate(img2img(0.75, "pndm"),
                List.of(new GenerationRequest("a red fox", null, 7.5, 1, 1, gradient(64, 48), null))).timings();
        assertThat(timings.textEncoderNanos()).isPositive();
        assertThat(timings.vaeEncodeNanos()).isPositive();
        assertThat(Arrays.stream(timings.unetStepNanos()).min().orElseThrow()).isPositive();
        assertThat(timings.vaeDecodeNanos()).isPositive();
        assertThat(timings.onnxNanos()).isLessThanOrEqualTo(timings.totalNanos());
    }

    @Test
    void rejectsASizeThatIsNotAMultipleOfTheVaeFactor() {
        assertThatThrownBy(() -> pipeline.generate(new BatchSettings(60, 48, 2, 1.0, "pndm", true),
                List.of(GenerationRequest.textToImage("a red fox", 7.5, 1, 1))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiple of 8");
    }
}
