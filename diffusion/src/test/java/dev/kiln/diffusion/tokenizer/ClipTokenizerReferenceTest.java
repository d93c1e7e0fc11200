package dev.kiln.diffusion.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.kiln.diffusion.ReferenceData;

/** Every prompt of the reference data's clip/tokens_sample.json, as OpenAI's simple_tokenizer.py encodes it. */
class ClipTokenizerReferenceTest {

    static Path clipDir() {
        return ReferenceData.dir("clip");
    }

    private static ClipTokenizer loaded;

    static synchronized ClipTokenizer tokenizer() {
        if (loaded == null) {
            Path dir = clipDir();
            loaded = ClipTokenizer.fromFiles(dir.resolve("vocab.json"), dir.resolve("merges.txt"));
        }
        return loaded;
    }

    static Stream<Arguments> referencePrompts() throws IOException {
        JsonNode sample = new ObjectMapper().readTree(clipDir().resolve("tokens_sample.json").toFile());
        return StreamSupport.stream(sample.get("cases").spliterator(), false)
                .map(c -> Arguments.of(c.get("prompt").asText(), ints(c.get("bpe_ids")), ints(c.get("input_ids"))));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("referencePrompts")
    void producesTheReferenceBpeIds(String prompt, int[] bpeIds, int[] inputIds) {
        clipDir();
        assertThat(tokenizer().bpeIds(prompt)).containsExactly(bpeIds);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("referencePrompts")
    void producesTheReferenceInputIds(String prompt, int[] bpeIds, int[] inputIds) {
        clipDir();
        assertThat(tokenizer().inputIds(prompt)).containsExactly(inputIds);
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
