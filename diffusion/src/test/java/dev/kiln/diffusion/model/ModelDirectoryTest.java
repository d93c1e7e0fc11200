package dev.kiln.diffusion.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kiln.diffusion.TinyModels;
import dev.kiln.diffusion.tiny.TinyModelGenerator;

class ModelDirectoryTest {

    @TempDir
    Path temp;

    private Path copyOfTinyModel() throws IOException {
        Path source = TinyModels.directory(TinyModelGenerator.Spec.defaults());
        Path target = temp.resolve("model");
        try (Stream<Path> files = Files.walk(source)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Path copy = target.resolve(source.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(copy);
                } else {
                    Files.copy(file, copy);
                }
            }
        }
        return target;
    }

    @Test
    void opensACompleteDirectory() throws IOException {
        ModelDirectory dir = ModelDirectory.open(copyOfTinyModel());
        assertThat(dir.vaeScalingFactor()).isEqualTo(0.18215);
        assertThat(dir.tokenizerMaxLength()).contains(77);
    }

    @Test
    void missingUnetFailsNamingTheFile() throws IOException {
        Path model = copyOfTinyModel();
        Files.delete(model.resolve("unet/model.onnx"));
        assertThatThrownBy(() -> ModelDirectory.open(model))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("unet/model.onnx");
    }

    @Test
    void malformedSchedulerConfigFailsNamingTheFile() throws IOException {
        Path model = copyOfTinyModel();
        Files.writeString(model.resolve("scheduler/scheduler_config.json"), "{ not json");
        assertThatThrownBy(() -> ModelDirectory.open(model))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("scheduler_config.json");
    }

    @Test
    void missingDirectoryFailsNamingIt() {
        assertThatThrownBy(() -> ModelDirectory.open(temp.resolve("nowhere")))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("nowhere");
    }

    @Test
    void corruptOnnxFileFailsAtLoadNamingIt() throws IOException {
        Path model = copyOfTinyModel();
        Files.writeString(model.resolve("vae_decoder/model.onnx"), "garbage");
        ModelDirectory dir = ModelDirectory.open(model);
        assertThatThrownBy(() -> StableDiffusionModels.load(dir, ExecutionConfig.cpu()))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("vae_decoder/model.onnx");
    }

    @Test
    void readsScalingFactorFromAVaeConfig() throws IOException {
        Path model = copyOfTinyModel();
        Files.writeString(model.resolve("vae_decoder/config.json"), "{\"scaling_factor\": 0.13025}");
        assertThat(ModelDirectory.open(model).vaeScalingFactor()).isEqualTo(0.13025);
    }
}
