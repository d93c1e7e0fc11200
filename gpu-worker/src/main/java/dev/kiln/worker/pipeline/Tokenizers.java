package dev.kiln.worker.pipeline;

import dev.kiln.worker.pipeline.model.ModelDirectory;
import dev.kiln.worker.pipeline.tokenizer.ClipTokenizer;

/** Loads the model directory's CLIP tokenizer as a {@link PromptTokenizer}. */
final class Tokenizers {

    private Tokenizers() {
    }

    static PromptTokenizer load(ModelDirectory dir) {
        return ClipTokenizer.fromFiles(dir.vocab(), dir.merges())::inputIds;
    }
}
