package dev.kiln.worker.inference;

import java.nio.file.Path;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.kiln.diffusion.DiffusionPipeline;
import dev.kiln.diffusion.PipelineFactory;
import dev.kiln.diffusion.PipelineOptions;
import dev.kiln.diffusion.batch.OnnxStepModels;
import dev.kiln.diffusion.batch.StepBatchOptions;
import dev.kiln.diffusion.batch.StepModels;
import dev.kiln.diffusion.model.ExecutionConfig;
import dev.kiln.worker.config.WorkerConfig;

/**
 * Opens the pipeline on {@code kiln.worker.model-dir} and the configured device, and warms it up.
 *
 * <p>
 * The worker serves a real SD 1.5 export or refuses to start: a missing model directory is an error, and so is
 * a test-sized model (a text encoder narrower than SD 1.5's 768, such as the repository's sd-tiny or the tools'
 * generated models, whose images are noise) unless {@code kiln.worker.allow-test-model} is set, as the local run
 * and the tests do. A worker that served noise would still charge for it.
 */
@ApplicationScoped
public class ModelLoader {
    private static final Logger LOG = Logger.getLogger(ModelLoader.class);

    /** SD 1.5's CLIP ViT-L/14 text encoder width; anything narrower is a test model. */
    static final int SD15_HIDDEN_SIZE = 768;

    private final WorkerConfig config;

    public ModelLoader(WorkerConfig config) {
        this.config = config;
    }

    /** A loaded pipeline and where it came from; {@code testModel} means its images are noise. */
    public record Loaded(DiffusionPipeline pipeline, Path modelDir, boolean testModel) {
    }

    public Loaded load() {
        Path dir = config.modelDir().orElseThrow(() -> new ModelRefusedException(
                "kiln.worker.model-dir (KILN_WORKER_MODEL_DIR) is not set: point it at an SD 1.5 ONNX export"));
        ExecutionConfig execution = new ExecutionConfig(config.device(), config.cuda().require(),
                config.cuda().deviceId(), config.cuda().memLimitBytes(), "kNextPowerOfTwo", "EXHAUSTIVE",
                config.intraOpThreads());
        long t0 = System.nanoTime();
        DiffusionPipeline pipeline = PipelineFactory.open(dir, execution, new PipelineOptions(config.vaeBatchImages()));
        boolean testModel = pipeline.models().facts().hiddenSize() < SD15_HIDDEN_SIZE;
        if (testModel && !config.allowTestModel()) {
            pipeline.close();
            throw new ModelRefusedException("model " + dir + " is a test model (text hidden size "
                    + pipeline.models().facts().hiddenSize() + " < " + SD15_HIDDEN_SIZE
                    + "): its images are noise; set kiln.worker.allow-test-model=true only for local runs and tests");
        }
        if (testModel) {
            LOG.warnf("kiln.worker.allow-test-model is set and %s is a TEST MODEL: every image is NOISE", dir);
        }
        LOG.infof("model %s loaded on %s in %d ms", dir, config.device(), (System.nanoTime() - t0) / 1_000_000);
        return new Loaded(pipeline, dir, testModel);
    }

    /**
     * Runs every shape the step executor will use (see {@link ShapeWarmUp}): at each
     * {@code kiln.worker.warmup.sizes-pixels}, one UNet call per row bucket up to {@code max-rows}, so the first
     * jobs do not pay for lazy set-up, memory planning and algorithm search.
     *
     * @return the shapes warmed (empty when the warm-up is disabled)
     */
    public List<ShapeWarmUp.Shape> warmUp(DiffusionPipeline pipeline) {
        WorkerConfig.Warmup warmup = config.warmup();
        if (warmup.steps().isPresent()) {
            LOG.warn("kiln.worker.warmup.steps is ignored: the warm-up runs one UNet call per row bucket and size");
        }
        if (!warmup.enabled()) {
            return List.of();
        }
        List<Integer> buckets = StepBatchOptions.bucketsUpTo(config.batching().rowBuckets(),
                config.batching().maxRows());
        long t0 = System.nanoTime();
        try (StepModels models = new OnnxStepModels(pipeline.models())) {
            List<ShapeWarmUp.Shape> warmed = new ShapeWarmUp(models).run(warmup.sizes(), buckets, warmup.budget());
            LOG.infof("warm-up: %d shapes (sizes %s px, row buckets %s) in %d ms", warmed.size(), warmup.sizes(),
                    buckets, (System.nanoTime() - t0) / 1_000_000);
            return warmed;
        }
    }
}
