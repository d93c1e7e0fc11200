package dev.kiln.diffusion.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SingleByteCodecTest {

    @Test
    void triesFtfysEncodingsInFtfysOrder() {
        assertThat(MojibakeData.CHARMAP_ENCODINGS).extracting(SingleByteCodec::name).containsExactly(
                "latin-1", "sloppy-windows-1252", "sloppy-windows-1251", "sloppy-windows-1250",
                "sloppy-windows-1253", "sloppy-windows-1254", "sloppy-windows-1257", "iso-8859-2",
                "macroman", "cp437");
    }

    @Test
    void sloppyWindows1252DecodesUndefinedBytesAsLatin1AndByte1AAsReplacementCharacter() {
        SingleByteCodec sloppy = MojibakeData.SLOPPY_WINDOWS_1252;

        assertThat(sloppy.decode(new byte[] { (byte) 0x80, (byte) 0x81, 0x1A })).isEqualTo("\u20ac\u0081\ufffd");
        assertThat(sloppy.encode("\ufffd\u0081")).containsExactly(0x1A, 0x81);
    }

    @Test
    void strictWindows1252RejectsItsUndefinedBytes() {
        assertThat(MojibakeData.WINDOWS_1252.decode(new byte[] { (byte) 0x81 })).isNull();
        assertThat(MojibakeData.WINDOWS_1252.decode(new byte[] { (byte) 0x93, (byte) 0x94 })).isEqualTo("\u201c\u201d");
    }

    @Test
    void aSloppyCodecCannotEncodeALiteralSubstituteCharacter() {
        assertThat(MojibakeData.SLOPPY_WINDOWS_1252.canEncode("a\u001a")).isFalse();
        assertThat(MojibakeData.LATIN_1.canEncode("a\u001a")).isTrue();
    }

    @Test
    void onlyCodecsHoldingEveryCharacterCanEncodeTheText() {
        assertThat(MojibakeData.LATIN_1.canEncode("caf\u00c3\u00a9")).isTrue();
        assertThat(MojibakeData.LATIN_1.canEncode("\u00e2\u20ac\u0153")).isFalse();
        assertThat(MojibakeData.SLOPPY_WINDOWS_1252.canEncode("\u00e2\u20ac\u0153")).isTrue();
    }
}
