package dev.kiln.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.kiln.diffusion.image.RgbImage;
import dev.kiln.diffusion.tiny.TinyModelGenerator;

/** The pipeline's step listener on the project's own tiny model. */
class StepListenerTest {

    private static DiffusionPipeline pipeline;

    @BeforeAll
    static void open() {
        pipeline = TinyModels.open(TinyModelGenerator.Spec.defaults());
    }

    @AfterAll
    static void close() {
        pipeline.close();
    }

    private static BatchSettings txt2img(int steps) {
        return new BatchSettings(64, 48, steps, 1.0, "ddim", true);
    }

    /** Records every call and each call's latents (asked for during the call, as the contract requires). */
    private static final class Recorder implements StepListener {
        final List<StepProgress> calls = new ArrayList<>();
        final Map<StepProgress, float[]> latents = new HashMap<>();

        @Override
        public void onStep(StepProgress progress) {
            calls.add(progress);
            latents.put(progress, progress.latents().get());
        }
    }

    @Test
    void tellsTheListenerAfterEveryStepOfEveryRequestInOrder() {
        GenerationRequest fox = GenerationRequest.textToImage("a red fox", 7.5, 2, 1);
        GenerationRequest owl = GenerationRequest.textToImage("an owl", 7.5, 1, 2);
        Recorder recorder = new Recorder();

        pipeline.generate(txt2img(3), List.of(fox, owl), () -> false, recorder);

        assertThat(recorder.calls).extracting(StepProgress::step).containsExactly(1, 1, 2, 2, 3, 3);
        assertThat(recorder.calls).extracting(StepProgress::request).containsExactly(fox, owl, fox, owl, fox, owl);
        assertThat(recorder.calls).allSatisfy(p -> assertThat(p.steps()).isEqualTo(3));
    }

    @Test
    void reportsTheStepsThatRunAfterStrength() {
        GenerationRequest request = GenerationRequest.textToImage("a red fox", 7.5, 1, 1)
                .withInitImage(new RgbImage(64, 48, new byte[64 * 48 * 3]));
        Recorder recorder = new Recorder();

        pipeline.generate(new BatchSettings(64, 48, 4, 0.5, "ddim", true), List.of(request), () -> false, recorder);

        assertThat(recorder.calls).extracting(StepProgress::steps).containsOnly(2);
        assertThat(recorder.calls).extracting(StepProgress::step).containsExactly(1, 2);
    }

    @Test
    void givesTheLatentsOfTheRequestsFirstImageAtLatentSize() {
        GenerationRequest request = GenerationRequest.textToImage("a red fox", 7.5, 1, 5);
        Recorder recorder = new Recorder();

        pipeline.generate(txt2img(2), List.of(request), () -> false, recorder);

        StepProgress last = recorder.calls.get(1);
        assertThat(last.latentWidth()).isEqualTo(64 / pipeline.models().facts().vaeScaleFactor());
        assertThat(last.latentHeight()).isEqualTo(48 / pipeline.models().facts().vaeScaleFactor());
        assertThat(recorder.latents.get(last)).hasSize(pipeline.models().facts().latentChannels()
                * last.latentHeight() * last.latentWidth());
        assertThat(recorder.latents.get(last)).isNotEqualTo(recorder.latents.get(recorder.calls.get(0)));
    }

    @Test
    void eachRequestGetsItsOwnLatents() {
        GenerationRequest one = GenerationRequest.textToImage("a red fox", 7.5, 1, 1);
        GenerationRequest two = GenerationRequest.textToImage("a red fox", 7.5, 1, 2);
        Recorder together = new Recorder();
        Recorder alone = new Recorder();

        pipeline.generate(txt2img(2), List.of(one, two), () -> false, together);
        pipeline.generate(txt2img(2), List.of(two), () -> false, alone);

        assertThat(together.latents.get(together.calls.get(3))).containsExactly(alone.latents.get(alone.calls.get(1)));
        assertThat(together.latents.get(together.calls.get(2))).isNotEqualTo(together.latents.get(together.calls.get(3)));
    }

    @Test
    void countsPndmsRepeatedFirstTimestepAsAStep() {
        Recorder recorder = new Recorder();
        pipeline.generate(new BatchSettings(64, 48, 3, 1.0, "pndm", true),
                List.of(GenerationRequest.textToImage("a red fox", 7.5, 1, 1)), () -> false, recorder);
        assertThat(recorder.calls).extracting(StepProgress::step).containsExactly(1, 2, 3, 4);
        assertThat(recorder.calls).extracting(StepProgress::steps).containsOnly(4);
    }

    @Test
    void listeningDoesNotChangeTheImages() {
        GenerationRequest request = GenerationRequest.textToImage("a red fox", 7.5, 1, 9);
        GeneratedImage quiet = pipeline.generate(txt2img(3), List.of(request)).images(0).get(0);
        GeneratedImage heard = pipeline.generate(txt2img(3), List.of(request), () -> false, new Recorder())
                .images(0).get(0);
        assertThat(heard.rgb()).containsExactly(quiet.rgb());
    }

    @Test
    void aFailingListenerFailsTheBatch() {
        GenerationRequest request = GenerationRequest.textToImage("a red fox", 7.5, 1, 9);
        assertThatThrownBy(() -> pipeline.generate(txt2img(2), List.of(request), () -> false, progress -> {
            throw new IllegalStateException("listener broke");
        })).hasMessage("listener broke");
    }
}
