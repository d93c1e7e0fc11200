package dev.kiln.diffusion;

/**
 * Turns a prompt into the text encoder's fixed-length token ids (CLIP BPE, 77 ids, BOS ... EOS,
 * padded with EOS, truncated keeping EOS).
 */
@FunctionalInterface
public interface PromptTokenizer {

    int[] encode(String prompt);
}
