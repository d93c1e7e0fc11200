package dev.kiln.diffusion;

import dev.kiln.diffusion.model.ModelDirectory;
import dev.kiln.diffusion.tokenizer.ClipTokenizer;

/** Loads the model directory's CLIP tokenizer as a {@link PromptTokenizer}. */
final class Tokenizers {

    private Tokenizers() {
    }

    static PromptTokenizer load(ModelDirectory dir) {
        return ClipTokenizer.fromFiles(dir.vocab(), dir.merges())::inputIds;
    }
}
