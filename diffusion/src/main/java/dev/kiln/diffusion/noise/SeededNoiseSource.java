package dev.kiln.diffusion.noise;

import java.util.SplittableRandom;

/**
 * Kiln's seeded noise: {@link SplittableRandom} (a fixed, documented algorithm, so a seed gives
 * the same numbers on every JVM) feeding the Box-Muller transform, both outputs of each pair
 * used. Draws are consumed in pipeline order (posterior, img2img noise or initial latents, then
 * ancestral steps), so a seed fixes the image. These are not PyTorch's or NumPy's numbers: a
 * seed reproduces Kiln's images, not diffusers'.
 */
public final class SeededNoiseSource implements NoiseSource {

    private final SplittableRandom random;
    private double spare;
    private boolean hasSpare;

    public SeededNoiseSource(long seed) {
        this.random = new SplittableRandom(seed);
    }

    @Override
    public float[] draw(NoiseKind kind, int[] shape) {
        float[] out = new float[NoiseSource.count(shape)];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) nextGaussian();
        }
        return out;
    }

    private double nextGaussian() {
        if (hasSpare) {
            hasSpare = false;
            return spare;
        }
        // 1 - u keeps the logarithm's argument in (0, 1].
        double u1 = 1.0 - random.nextDouble();
        double u2 = random.nextDouble();
        double radius = Math.sqrt(-2.0 * Math.log(u1));
        double angle = 2.0 * Math.PI * u2;
        spare = radius * Math.sin(angle);
        hasSpare = true;
        return radius * Math.cos(angle);
    }
}
