package dev.kiln.worker.pipeline.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every prompt of ../shared/fixtures/clip/tokens_sample.json, as OpenAI's simple_tokenizer.py encodes it. */
class ClipTokenizerReferenceTest {

    static Path clipDir() {
        String configured = System.getProperty("kiln.fixtures.dir");
        Path root = configured != null ? Path.of(configured) : Path.of("..", "..", "shared", "fixtures");
        Path dir = root.resolve("clip");
        assumeTrue(Files.isRegularFile(dir.resolve("tokens_sample.json")),
                "CLIP tokenizer fixtures not found at " + dir.toAbsolutePath()
                        + " (set -Dkiln.fixtures.dir); skipping the reference comparison");
        return dir;
    }

    private static ClipTokenizer loaded;

    static synchronized ClipTokenizer tokenizer() {
        if (loaded == null) {
            Path dir = clipDir();
            loaded = ClipTokenizer.fromFiles(dir.resolve("vocab.json"), dir.resolve("merges.txt"));
        }
        return loaded;
    }

    static boolean fixturesPresent() {
        String configured = System.getProperty("kiln.fixtures.dir");
        Path root = configured != null ? Path.of(configured) : Path.of("..", "..", "shared", "fixtures");
        return Files.isRegularFile(root.resolve("clip").resolve("tokens_sample.json"));
    }

    static Stream<Arguments> referencePrompts() throws IOException {
        if (!fixturesPresent()) {
            // One placeholder case, so each test reports a visible skip from clipDir()'s assumption.
            return Stream.of(Arguments.of("(fixtures absent)", new int[0], new int[0]));
        }
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
