package dev.kiln.diffusion.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * python-ftfy's own test cases ({@code ftfy-test-cases.json}, a transcribed subset of its
 * {@code tests/test-cases}), checked the way ftfy's {@code test_examples_in_json.py} checks them.
 */
class FtfyReferenceCasesTest {

    record FtfyCase(String source, String original, String fixed, String fixedEncoding) {
        @Override
        public String toString() {
            return source + ": " + original;
        }
    }

    static List<FtfyCase> cases() throws IOException {
        try (InputStream in = FtfyReferenceCasesTest.class.getResourceAsStream("ftfy-test-cases.json")) {
            JsonNode root = new ObjectMapper().readTree(in);
            List<FtfyCase> cases = new ArrayList<>();
            for (JsonNode c : root.get("cases")) {
                String fixed = c.get("fixed").asText();
                JsonNode encoding = c.get("fixed-encoding");
                cases.add(new FtfyCase(c.get("source").asText(), c.get("original").asText(), fixed,
                        encoding == null ? fixed : encoding.asText()));
            }
            return cases;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void fixTextGivesFtfysResult(FtfyCase c) {
        assertThat(Ftfy.fixText(c.original())).isEqualTo(c.fixed());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void fixEncodingGivesFtfysResult(FtfyCase c) {
        assertThat(MojibakeFixer.fixEncoding(c.original())).isEqualTo(c.fixedEncoding());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void fixTextSeesThroughOneMoreLayerOfUtf8ReadAsLatin1(FtfyCase c) {
        String extraBad = new String(c.original().getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);

        assertThat(Ftfy.fixText(extraBad)).isEqualTo(c.fixed());
    }
}
