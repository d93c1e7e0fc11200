package dev.kiln.worker.inference;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.kiln.diffusion.DiffusionPipeline;
import dev.kiln.diffusion.PipelineFactory;
import dev.kiln.diffusion.PipelineOptions;
import dev.kiln.diffusion.ReferenceData;
import dev.kiln.diffusion.batch.OnnxStepModels;
import dev.kiln.diffusion.batch.StepModels;
import dev.kiln.diffusion.model.ExecutionConfig;
import dev.kiln.diffusion.model.OnnxModel;
import dev.kiln.diffusion.model.StableDiffusionModels;

/** The warm-up's model calls, counted by a recording wrapper around the sd-tiny model's real sessions. */
class ShapeWarmUpTest {

    private static DiffusionPipeline pipeline;

    @BeforeAll
    static void open() {
        pipeline = PipelineFactory.open(ReferenceData.sdTinyModel(), ExecutionConfig.cpu().withIntraOpThreads(1),
                new PipelineOptions(1));
    }

    @AfterAll
    static void close() {
        pipeline.close();
    }

    /** A UNet call's batch shape as the session saw it. */
    private record UnetCall(int rows, int latentHeight, int latentWidth) {
    }

    /** The real sessions, recording every UNet call's shape. */
    private static final class RecordingModels implements StepModels {
        final StepModels real = new OnnxStepModels(pipeline.models());
        final List<UnetCall> unetCalls = new ArrayList<>();
        int decodes;

        @Override
        public StableDiffusionModels.Facts facts() {
            return real.facts();
        }

        @Override
        public String modelId() {
            return real.modelId();
        }

        @Override
        public float[] encodeText(int[] ids, int rows) {
            return real.encodeText(ids, rows);
        }

        @Override
        public float[] unet(float[] latents, int rows, int latentHeight, int latentWidth, float[] timesteps,
                float[] hiddenStates) {
            float[] out = real.unet(latents, rows, latentHeight, latentWidth, timesteps, hiddenStates);
            unetCalls.add(new UnetCall(rows, latentHeight, latentWidth));
            return out;
        }

        @Override
        public OnnxModel.FloatOutput encodeImages(float[] images, int rows, int height, int width) {
            return real.encodeImages(images, rows, height, width);
        }

        @Override
        public float[] decodeLatents(float[] latents, int rows, int latentHeight, int latentWidth) {
            decodes++;
            return real.decodeLatents(latents, rows, latentHeight, latentWidth);
        }

        @Override
        public void close() {
            real.close();
        }
    }

    @Test
    void runsOneUnetCallPerRowBucketAtEveryWarmUpSize() {
        int factor = pipeline.models().facts().vaeScaleFactor();
        try (RecordingModels models = new RecordingModels()) {
            new ShapeWarmUp(models).run(List.of(8 * factor, 4 * factor), List.of(1, 2, 4, 8), Duration.ofMinutes(10));

            assertThat(models.unetCalls).containsExactly(
                    new UnetCall(1, 4, 4), new UnetCall(2, 4, 4), new UnetCall(4, 4, 4), new UnetCall(8, 4, 4),
                    new UnetCall(1, 8, 8), new UnetCall(2, 8, 8), new UnetCall(4, 8, 8), new UnetCall(8, 8, 8));
            assertThat(models.decodes).isEqualTo(2);
        }
    }

    @Test
    void startsNoFurtherShapeOnceTheBudgetIsSpent() {
        int factor = pipeline.models().facts().vaeScaleFactor();
        try (RecordingModels models = new RecordingModels()) {
            List<ShapeWarmUp.Shape> warmed = new ShapeWarmUp(models).run(List.of(4 * factor), List.of(1, 2, 4),
                    Duration.ZERO);

            // The text encoder ran before the first check; every UNet shape was then past the budget.
            assertThat(models.unetCalls).isEmpty();
            assertThat(warmed).extracting(ShapeWarmUp.Shape::model).containsExactly("text_encoder");
        }
    }
}
