package dev.kiln.diffusion.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Behaviours beyond the reference sample, each stated against an equivalent plain-text prompt. */
class ClipTokenizerTest {

    private static ClipTokenizer tokenizer;

    @BeforeEach
    void load() {
        tokenizer = ClipTokenizerReferenceTest.tokenizer();
    }

    @Test
    void framesTheIdsWithStartAndEndOfText() {
        int[] ids = tokenizer.inputIds("a photo of a cat");

        assertThat(ids).hasSize(ClipTokenizer.MAX_LENGTH);
        assertThat(ids[0]).isEqualTo(49406);
        assertThat(ids[6]).isEqualTo(49407);
        assertThat(Arrays.copyOfRange(ids, 7, 77)).containsOnly(49407);
    }

    @Test
    void truncatesToTheFirst75BpeIdsAndStillEndsWithEndOfText() {
        String prompt = "cat ".repeat(100);
        int[] bpe = tokenizer.bpeIds(prompt);

        int[] ids = tokenizer.inputIds(prompt);

        assertThat(bpe).hasSize(100);
        assertThat(Arrays.copyOfRange(ids, 1, 76)).containsExactly(Arrays.copyOfRange(bpe, 0, 75));
        assertThat(ids[76]).isEqualTo(49407);
    }

    @Test
    void unescapesHtmlEntities() {
        assertThat(tokenizer.bpeIds("fish &amp; chips &#233;t&eacute;"))
                .containsExactly(tokenizer.bpeIds("fish & chips été"));
    }

    @Test
    void unescapesRepeatedlyEscapedEntitiesAsFtfyDoes() {
        // ftfy unescapes until nothing changes; simple_tokenizer then adds two html.unescape passes.
        assertThat(ClipTextCleaner.clean("Fish &amp;amp;amp;amp; Chips")).isEqualTo("fish & chips");
    }

    @Test
    void leavesFtfyOutOfEntitiesOnceTheTextLooksLikeHtml() {
        // After a '<' ftfy leaves entities alone; only simple_tokenizer's two html.unescape passes run.
        assertThat(ClipTextCleaner.clean("<b> &amp;amp;amp;")).isEqualTo("<b> &amp;");
    }

    @Test
    void collapsesUnicodeWhitespaceRunsToOneSpace() {
        assertThat(ClipTextCleaner.clean("\u00a0 red\t\u2003\n car \u3000")).isEqualTo("red car");
    }

    @Test
    void straightensCurlyQuotes() {
        assertThat(tokenizer.bpeIds("it\u2019s a \u201cdream\u201d")).containsExactly(tokenizer.bpeIds("it's a \"dream\""));
    }

    @Test
    void expandsLatinLigaturesAndFullWidthLetters() {
        assertThat(tokenizer.bpeIds("\ufb01ne \uff21\uff22\uff23")).containsExactly(tokenizer.bpeIds("fine abc"));
    }

    @Test
    void composesDecomposedAccentsToNfc() {
        assertThat(tokenizer.bpeIds("cafe\u0301")).containsExactly(tokenizer.bpeIds("caf\u00e9"));
    }

    @Test
    void dropsControlCharactersAndTerminalEscapes() {
        assertThat(tokenizer.bpeIds("red\u0000 \u001b[31mcar\u001b[0m\ufeff")).containsExactly(tokenizer.bpeIds("red car"));
    }

    @Test
    void keepsSpecialTokensWrittenInThePrompt() {
        assertThat(tokenizer.bpeIds("a <|endoftext|> b")).containsExactly(320, 49407, 321);
    }

    @Test
    void givesTheSameIdsFromManyThreadsWithATinyCache() throws Exception {
        ClipTokenizer small = ClipTokenizer.fromFiles(
                ClipTokenizerReferenceTest.clipDir().resolve("vocab.json"),
                ClipTokenizerReferenceTest.clipDir().resolve("merges.txt"), 8);
        List<String> prompts = IntStream.range(0, 64)
                .mapToObj(i -> "portrait number " + i + " of a wizard in style " + (i % 7)).toList();
        List<int[]> sequential = prompts.stream().map(tokenizer::inputIds).toList();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<int[]>> futures = prompts.stream().map(p -> pool.submit(() -> small.inputIds(p))).toList();
            for (int i = 0; i < prompts.size(); i++) {
                assertThat(futures.get(i).get(30, TimeUnit.SECONDS)).containsExactly(sequential.get(i));
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
