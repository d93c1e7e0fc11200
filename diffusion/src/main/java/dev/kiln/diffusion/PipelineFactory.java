package dev.kiln.diffusion;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import dev.kiln.diffusion.model.ExecutionConfig;
import dev.kiln.diffusion.model.ModelDirectory;
import dev.kiln.diffusion.model.StableDiffusionModels;
import dev.kiln.diffusion.scheduler.Scheduler;
import dev.kiln.diffusion.scheduler.SchedulerConfig;
import dev.kiln.diffusion.scheduler.Schedulers;

/**
 * Opens a {@link DiffusionPipeline} on a model directory: validates the layout, loads the
 * tokenizer and scheduler config, opens and probes the ONNX sessions on the configured device.
 * Everything that can be wrong with the directory fails here, at start-up.
 */
public final class PipelineFactory {

    private PipelineFactory() {
    }

    public static DiffusionPipeline open(Path modelDir, ExecutionConfig execution, PipelineOptions options) {
        ModelDirectory dir = ModelDirectory.open(modelDir);
        PromptTokenizer tokenizer = tokenizer(dir);
        SchedulerConfig config = SchedulerConfig.read(dir.schedulerConfig());
        Function<String, Scheduler> schedulers = cached(config);
        StableDiffusionModels models = StableDiffusionModels.load(dir, execution);
        return new DiffusionPipeline(models, tokenizer, schedulers, options);
    }

    /** The directory's CLIP tokenizer. */
    public static PromptTokenizer tokenizer(ModelDirectory dir) {
        return Tokenizers.load(dir);
    }

    /** Schedulers are stateless factories of runs, so one instance per name serves every batch. */
    private static Function<String, Scheduler> cached(SchedulerConfig config) {
        Map<String, Scheduler> byName = new ConcurrentHashMap<>();
        for (String name : Schedulers.NAMES) {
            byName.put(name, Schedulers.create(name, config));
        }
        return name -> {
            Scheduler scheduler = byName.get(name);
            if (scheduler == null) {
                throw new IllegalArgumentException("unknown scheduler '" + name + "'; known: " + Schedulers.NAMES);
            }
            return scheduler;
        };
    }
}
