package dev.kiln.worker.inference;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import dev.kiln.diffusion.batch.StepModels;
import dev.kiln.diffusion.model.StableDiffusionModels;

/**
 * Runs every tensor shape the step executor will use before the worker takes jobs: one UNet call per row bucket
 * at each warm-up size, plus one text-encoder call and one VAE encode and decode of one image per size. ONNX
 * Runtime plans memory and cuDNN's exhaustive search picks its algorithms per input shape on the first run of
 * that shape, which on a GPU takes from a fraction of a second to tens of seconds; paid here, no job's call does.
 *
 * <p>
 * Bounded by a time budget: once it is spent the remaining shapes are skipped (logged) and pay on their first
 * real call instead. Shapes run smallest size and fewest rows first, so a budget cut drops the largest ones.
 */
public final class ShapeWarmUp {
    private static final Logger LOG = Logger.getLogger(ShapeWarmUp.class);
    /** A timestep in SD 1.5's range; the value does not change the shape. */
    private static final float TIMESTEP = 999f;

    /**
     * One shape warmed and how long its call took: {@code model} is {@code text_encoder} (no latent size),
     * {@code unet}, {@code vae_encoder} or {@code vae_decoder}; rows are images for the VAE.
     */
    public record Shape(String model, int rows, int latentHeight, int latentWidth, long millis) {
    }

    private final StepModels models;
    private final StableDiffusionModels.Facts facts;

    ShapeWarmUp(StepModels models) {
        this.models = models;
        this.facts = models.facts();
    }

    /**
     * @param sizesPixels square image sides to warm
     * @param rowBuckets the executor's row buckets (its largest is {@code max-rows})
     * @param budget no new shape starts once this much time has passed
     * @return the shapes warmed, in order
     */
    List<Shape> run(List<Integer> sizesPixels, List<Integer> rowBuckets, Duration budget) {
        long start = System.nanoTime();
        long budgetNanos = budget.toNanos();
        List<Shape> warmed = new ArrayList<>();
        int rowSize = facts.sequenceLength() * facts.hiddenSize();
        float[] oneRow = time(warmed, "text_encoder", 1, 0, 0,
                () -> models.encodeText(new int[facts.sequenceLength()], 1));
        for (int side : sizesPixels.stream().sorted().distinct().toList()) {
            if (side % facts.vaeScaleFactor() != 0) {
                throw new IllegalArgumentException("warm-up size " + side + " is not a multiple of "
                        + facts.vaeScaleFactor());
            }
            int latent = side / facts.vaeScaleFactor();
            int latentRow = facts.latentChannels() * latent * latent;
            for (int rows : rowBuckets) {
                if (System.nanoTime() - start > budgetNanos) {
                    LOG.warnf("warm-up budget %s spent: the UNet at %d rows of %dx%d and larger shapes are not "
                            + "warmed; their first call pays for it", budget, rows, side, side);
                    return warmed;
                }
                float[] hidden = new float[rows * rowSize];
                for (int r = 0; r < rows; r++) {
                    System.arraycopy(oneRow, 0, hidden, r * rowSize, rowSize);
                }
                float[] timesteps = new float[rows];
                Arrays.fill(timesteps, TIMESTEP);
                time(warmed, "unet", rows, latent, latent,
                        () -> models.unet(new float[rows * latentRow], rows, latent, latent, timesteps, hidden));
            }
            time(warmed, "vae_encoder", 1, latent, latent,
                    () -> models.encodeImages(new float[3 * side * side], 1, side, side));
            time(warmed, "vae_decoder", 1, latent, latent,
                    () -> models.decodeLatents(new float[latentRow], 1, latent, latent));
        }
        return warmed;
    }

    private static <T> T time(List<Shape> warmed, String model, int rows, int latentHeight, int latentWidth,
            Supplier<T> call) {
        long t0 = System.nanoTime();
        T out = call.get();
        long millis = (System.nanoTime() - t0) / 1_000_000;
        warmed.add(new Shape(model, rows, latentHeight, latentWidth, millis));
        if (latentHeight == 0) {
            LOG.infof("warm-up: %s, %d rows: %d ms", model, rows, millis);
        } else {
            LOG.infof("warm-up: %s, %d rows at %dx%d latents: %d ms", model, rows, latentHeight, latentWidth, millis);
        }
        return out;
    }
}
