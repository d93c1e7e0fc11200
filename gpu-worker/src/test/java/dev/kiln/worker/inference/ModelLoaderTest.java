package dev.kiln.worker.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.kiln.diffusion.ReferenceData;
import dev.kiln.worker.config.WorkerConfig;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

class ModelLoaderTest {

    private static ModelLoader loader(Map<String, String> properties) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(WorkerConfig.class)
                // Quarkus's own duration syntax ("50ms", "5s"), as the application reads it.
                .withConverter(Duration.class, 200, new DurationConverter())
                .withDefaultValues(Map.of("kiln.worker.intra-op-threads", "1",
                        // Required settings the loader does not read.
                        "kiln.worker.s3.access-key", "unused", "kiln.worker.s3.secret-key", "unused"))
                .withDefaultValues(properties)
                .build();
        return new ModelLoader(config.getConfigMapping(WorkerConfig.class));
    }

    @Test
    void refusesToLoadWithoutAModelDirectory() {
        assertThatThrownBy(() -> loader(Map.of()).load())
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining("kiln.worker.model-dir");
    }

    @Test
    void refusesATestModelWithoutTheDevFlag() {
        String dir = ReferenceData.sdTinyModel().toString();

        assertThatThrownBy(() -> loader(Map.of("kiln.worker.model-dir", dir)).load())
                .isInstanceOf(ModelRefusedException.class)
                .hasMessageContaining("test model")
                .hasMessageContaining("kiln.worker.allow-test-model");
    }

    @Test
    void servesATestModelWhenTheDevFlagIsSet() {
        String dir = ReferenceData.sdTinyModel().toString();

        ModelLoader.Loaded loaded = loader(Map.of("kiln.worker.model-dir", dir,
                "kiln.worker.allow-test-model", "true")).load();
        try (var pipeline = loaded.pipeline()) {
            assertThat(loaded.testModel()).isTrue();
        }
    }

    @Test
    void warmsEveryRowBucketUpToMaxRowsAtEachConfiguredSize() {
        String dir = ReferenceData.sdTinyModel().toString();
        ModelLoader loader = loader(Map.of("kiln.worker.model-dir", dir, "kiln.worker.allow-test-model", "true",
                "kiln.worker.batching.max-rows", "6", "kiln.worker.warmup.sizes-pixels", "32,64"));

        try (var pipeline = loader.load().pipeline()) {
            int factor = pipeline.models().facts().vaeScaleFactor();
            List<ShapeWarmUp.Shape> unet = loader.warmUp(pipeline).stream()
                    .filter(s -> s.model().equals("unet")).toList();

            assertThat(unet).extracting(ShapeWarmUp.Shape::rows).containsExactly(1, 2, 4, 6, 1, 2, 4, 6);
            assertThat(unet).extracting(ShapeWarmUp.Shape::latentWidth)
                    .containsExactly(32 / factor, 32 / factor, 32 / factor, 32 / factor,
                            64 / factor, 64 / factor, 64 / factor, 64 / factor);
        }
    }
}
