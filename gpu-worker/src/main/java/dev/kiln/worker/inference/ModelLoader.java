package dev.kiln.worker.inference;

import dev.kiln.worker.config.WorkerConfig;
import dev.kiln.worker.pipeline.BatchSettings;
import dev.kiln.worker.pipeline.DiffusionPipeline;
import dev.kiln.worker.pipeline.GenerationRequest;
import dev.kiln.worker.pipeline.PipelineFactory;
import dev.kiln.worker.pipeline.PipelineOptions;
import dev.kiln.worker.pipeline.model.ExecutionConfig;
import dev.kiln.worker.pipeline.tiny.TinyModelGenerator;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Opens the pipeline on {@code kiln.worker.model-dir} and the configured device, and warms it up.
 * Without a model directory it generates the pipeline's tiny random model (for local runs and
 * tests) and says loudly that every image will be noise.
 */
@ApplicationScoped
public class ModelLoader {
    private static final Logger LOG = Logger.getLogger(ModelLoader.class);

    private final WorkerConfig config;

    public ModelLoader(WorkerConfig config) {
        this.config = config;
    }

    public record Loaded(DiffusionPipeline pipeline, Path modelDir, boolean tiny) {
    }

    public Loaded load() {
        boolean tiny = config.modelDir().isEmpty();
        Path dir = config.modelDir().orElseGet(this::generateTinyModel);
        ExecutionConfig execution = new ExecutionConfig(config.device(), config.cuda().require(),
                config.cuda().deviceId(), config.cuda().memLimitBytes(), "kNextPowerOfTwo", "EXHAUSTIVE",
                config.intraOpThreads());
        long t0 = System.nanoTime();
        DiffusionPipeline pipeline = PipelineFactory.open(dir, execution, new PipelineOptions(config.vaeBatchImages()));
        LOG.infof("model %s loaded on %s in %d ms", dir, config.device(), (System.nanoTime() - t0) / 1_000_000);
        return new Loaded(pipeline, dir, tiny);
    }

    /** One small guided text-to-image run, so the first real batch does not pay for lazy set-up. */
    public void warmUp(DiffusionPipeline pipeline) {
        if (!config.warmup().enabled()) {
            return;
        }
        int size = config.warmup().sizePixels();
        long t0 = System.nanoTime();
        pipeline.generate(new BatchSettings(size, size, config.warmup().steps(), 1.0, "pndm", true),
                List.of(GenerationRequest.textToImage("warm-up", 7.5, 1, 0L)));
        LOG.infof("warm-up (%dx%d, %d steps) took %d ms", size, size, config.warmup().steps(),
                (System.nanoTime() - t0) / 1_000_000);
    }

    private Path generateTinyModel() {
        try {
            Path base = config.dataDir().isPresent()
                    ? Files.createDirectories(config.dataDir().get())
                    : Files.createTempDirectory("kiln-worker-");
            Path dir = base.resolve("tiny-model");
            if (!Files.exists(dir.resolve("model_index.json"))) {
                TinyModelGenerator.generate(dir, TinyModelGenerator.Spec.defaults());
            }
            LOG.warn("""

                    ****************************************************************************
                    *  kiln.worker.model-dir is not set: running a GENERATED TINY RANDOM MODEL  *
                    *  from %s
                    *  Every image this worker produces is NOISE. Set kiln.worker.model-dir     *
                    *  (KILN_WORKER_MODEL_DIR) to an SD 1.5 ONNX export for real images.        *
                    ****************************************************************************""".formatted(dir));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("could not generate the tiny model", e);
        }
    }
}
