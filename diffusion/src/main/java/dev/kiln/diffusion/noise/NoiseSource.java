package dev.kiln.diffusion.noise;

/**
 * Standard-normal random draws for one request. Each request owns its source, so a request's
 * images do not depend on what else shares its batch. A source is stateful: use it for one run.
 */
public interface NoiseSource {

    /** The next draw of {@code kind}, {@code product(shape)} values in C order. */
    float[] draw(NoiseKind kind, int[] shape);

    static int count(int[] shape) {
        int count = 1;
        for (int dim : shape) {
            count = Math.multiplyExact(count, dim);
        }
        return count;
    }
}
