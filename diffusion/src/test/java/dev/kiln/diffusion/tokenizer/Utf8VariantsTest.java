package dev.kiln.diffusion.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class Utf8VariantsTest {

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    @Test
    void decodesStandardUtf8() {
        assertThat(Utf8Variants.decode(bytes(0x63, 0xC3, 0xA9, 0xE2, 0x9C, 0x94, 0xF0, 0x9F, 0x98, 0x8D)))
                .isEqualTo("c\u00e9\u2714\ud83d\ude0d");
    }

    @Test
    void decodesJavasTwoByteNull() {
        assertThat(Utf8Variants.decode(bytes(0x61, 0xC0, 0x80, 0x62))).isEqualTo("a\u0000b");
    }

    @Test
    void decodesACesu8SurrogatePairAsOneCodePoint() {
        assertThat(Utf8Variants.decode(bytes(0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x8D))).isEqualTo("\ud83d\ude0d");
    }

    @Test
    void rejectsALoneEncodedSurrogate() {
        assertThat(Utf8Variants.decode(bytes(0xED, 0xA0, 0xBD, 0x41))).isNull();
    }

    @Test
    void rejectsOverlongAndTruncatedSequences() {
        assertThat(Utf8Variants.decode(bytes(0xC1, 0x81))).isNull();
        assertThat(Utf8Variants.decode(bytes(0xE0, 0x80, 0x80))).isNull();
        assertThat(Utf8Variants.decode(bytes(0xE2, 0x9C))).isNull();
        assertThat(Utf8Variants.decode(bytes(0xF4, 0x90, 0x80, 0x80))).isNull();
    }
}
