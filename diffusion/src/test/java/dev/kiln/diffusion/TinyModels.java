package dev.kiln.diffusion;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.kiln.diffusion.model.ExecutionConfig;
import dev.kiln.diffusion.tiny.TinyModelGenerator;

/** Generates tiny model directories (once per spec per JVM) and opens pipelines on them. */
public final class TinyModels {

    private TinyModels() {
    }

    public static synchronized Path directory(TinyModelGenerator.Spec spec) {
        try {
            // Generation is deterministic per spec, so a directory under target/ can be reused.
            Path dir = Path.of("target", "tiny-models", Integer.toHexString(spec.hashCode())).toAbsolutePath();
            if (!Files.exists(dir.resolve("model_index.json"))) {
                TinyModelGenerator.generate(dir, spec);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static DiffusionPipeline open(TinyModelGenerator.Spec spec) {
        return PipelineFactory.open(directory(spec), ExecutionConfig.cpu().withIntraOpThreads(1),
                PipelineOptions.defaults());
    }
}
