package dev.kiln.diffusion.noise;

/**
 * The random draws a diffusion run consumes, labelled as in the reference fixtures
 * ({@code noise_NN_<label>.npy}).
 */
public enum NoiseKind {
    /** VAE posterior sample noise, [1, C, h, w] per request (one input image). */
    POSTERIOR("posterior"),
    /** img2img noise added at the start timestep, [n, C, h, w]. */
    IMG2IMG_NOISE("img2img_noise"),
    /** Text-to-image starting latents before {@code init_noise_sigma}, [n, C, h, w]. */
    INITIAL_LATENTS("initial_latents"),
    /** Euler ancestral's fresh noise, one [n, C, h, w] draw per step. */
    ANCESTRAL_STEP("ancestral_step");

    private final String label;

    NoiseKind(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static NoiseKind fromLabel(String label) {
        for (NoiseKind kind : values()) {
            if (kind.label.equals(label)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown noise label '" + label + "'");
    }
}
