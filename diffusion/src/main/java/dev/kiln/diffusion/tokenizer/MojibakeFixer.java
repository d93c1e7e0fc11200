package dev.kiln.diffusion.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A port of ftfy 6.3.1's {@code fix_encoding} with its default configuration: detect UTF-8 that was
 * decoded in a single-byte encoding (mojibake such as {@code "cafÃ©"}) and re-decode it, with the
 * sub-steps {@code restore_byte_a0}, {@code replace_lossy_sequences}, {@code decode_inconsistent_utf8}
 * and {@code fix_c1_controls}, repeated until the text stops changing.
 *
 * <p>
 * Byte-level regexes run over bytes mapped one-to-one to U+0000–U+00FF, which is what Python's
 * {@code bytes} patterns see. Lengths are counted in code points, as Python counts them.
 */
final class MojibakeFixer {

    // chardata.py ALTERED_UTF8_RE: UTF-8 that would be valid had a byte A0 not become a space.
    private static final Pattern ALTERED_UTF8 = Pattern.compile(
            "[\\xC2\\xC3\\xC5\\xCE\\xD0\\xD9] "
                    + "|[\\xE2\\xE3] [\\x80-\\x84\\x86-\\x9F\\xA1-\\xBF]"
                    + "|[\\xE0-\\xE3][\\x80-\\x84\\x86-\\x9F\\xA1-\\xBF] "
                    + "|\\xF0 [\\x80-\\xBF][\\x80-\\xBF]"
                    + "|\\xF0[\\x80-\\xBF] [\\x80-\\xBF]"
                    + "|\\xF0[\\x80-\\xBF][\\x80-\\xBF] ");
    // chardata.py LOSSY_UTF8_RE: UTF-8 whose continuation bytes were lost to 1A (U+FFFD) or '?'.
    private static final Pattern LOSSY_UTF8 = Pattern.compile(
            "[\\xC2-\\xDF]\\x1A"
                    + "|[\\xC2-\\xC3]\\?"
                    + "|\\xED[\\xA0-\\xAF][\\x1A?]\\xED[\\xB0-\\xBF][\\x1A?\\x80-\\xBF]"
                    + "|\\xED[\\xA0-\\xAF][\\x1A?\\x80-\\xBF]\\xED[\\xB0-\\xBF][\\x1A?]"
                    + "|[\\xE0-\\xEF][\\x1A?][\\x1A\\x80-\\xBF]"
                    + "|[\\xE0-\\xEF][\\x1A\\x80-\\xBF][\\x1A?]"
                    + "|[\\xF0-\\xF4][\\x1A?][\\x1A\\x80-\\xBF][\\x1A\\x80-\\xBF]"
                    + "|[\\xF0-\\xF4][\\x1A\\x80-\\xBF][\\x1A?][\\x1A\\x80-\\xBF]"
                    + "|[\\xF0-\\xF4][\\x1A\\x80-\\xBF][\\x1A\\x80-\\xBF][\\x1A?]"
                    + "|\\x1A");
    // fixes.py A_GRAVE_WORD_RE: "Ã " as the word "à", except in Portuguese "às", "àquele", ...
    private static final Pattern A_GRAVE_WORD = Pattern.compile("\\xC3 (?! |quele|quela|quilo|s )");
    private static final Pattern C1_CONTROL = Pattern.compile("[\\x80-\\x9F]");
    private static final String UTF8_REPLACEMENT_CHARACTER = "\u00EF\u00BF\u00BD";

    private MojibakeFixer() {
    }

    /** ftfy's {@code fix_encoding}: one-step fixes until the text stops changing. */
    static String fixEncoding(String text) {
        while (true) {
            String previous = text;
            text = fixEncodingOneStep(text);
            if (text.equals(previous)) {
                return text;
            }
        }
    }

    /** badness.py {@code is_bad}: does the text contain a sequence that is likely mojibake? */
    static boolean isBad(String text) {
        return MojibakeData.BADNESS.matcher(text).find();
    }

    /** badness.py {@code badness}: the number of likely-mojibake sequences. */
    static int badness(String text) {
        Matcher m = MojibakeData.BADNESS.matcher(text);
        int count = 0;
        while (m.find()) {
            count++;
        }
        return count;
    }

    private static String fixEncodingOneStep(String text) {
        if (text.isEmpty() || isAscii(text) || !isBad(text)) {
            return text;
        }
        boolean latin1Possible = false;
        for (SingleByteCodec codec : MojibakeData.CHARMAP_ENCODINGS) {
            if (!codec.canEncode(text)) {
                continue;
            }
            latin1Possible |= codec == MojibakeData.LATIN_1;
            byte[] bytes = codec.encode(text);
            // Not for macroman, where an en dash followed by a space would match.
            if (!codec.name().equals("macroman") && ALTERED_UTF8.matcher(asLatin1(bytes)).find()) {
                bytes = restoreByteA0(bytes);
            }
            if (codec.isSloppy()) {
                bytes = replaceLossySequences(bytes);
            }
            String fixed = Utf8Variants.decode(bytes);
            if (fixed != null) {
                return fixed;
            }
        }
        if (MojibakeData.UTF8_DETECTOR.matcher(text).find()) {
            String fixed = decodeInconsistentUtf8(text);
            if (!fixed.equals(text)) {
                return fixed;
            }
        }
        // ftfy checks for "windows-1252" among the possible encodings, which only ever holds the
        // sloppy variant, so Latin-1 text always takes this strict Windows-1252 attempt.
        if (latin1Possible) {
            String fixed = MojibakeData.WINDOWS_1252.decode(MojibakeData.LATIN_1.encode(text));
            if (fixed != null && !fixed.equals(text)) {
                return fixed;
            }
        }
        if (C1_CONTROL.matcher(text).find()) {
            return fixC1Controls(text);
        }
        return text;
    }

    /**
     * fixes.py {@code restore_byte_a0}: put back byte A0 where a space broke a UTF-8 sequence, after
     * reading a lone "Ã " as the word "à".
     */
    static byte[] restoreByteA0(byte[] bytes) {
        String text = A_GRAVE_WORD.matcher(asLatin1(bytes)).replaceAll("\u00C3\u00A0 ");
        Matcher m = ALTERED_UTF8.matcher(text);
        StringBuilder sb = new StringBuilder(text.length());
        int last = 0;
        while (m.find()) {
            sb.append(text, last, m.start()).append(m.group().replace(' ', '\u00A0'));
            last = m.end();
        }
        sb.append(text, last, text.length());
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** fixes.py {@code replace_lossy_sequences}: UTF-8 sequences with lost bytes become U+FFFD's UTF-8. */
    static byte[] replaceLossySequences(byte[] bytes) {
        return LOSSY_UTF8.matcher(asLatin1(bytes)).replaceAll(UTF8_REPLACEMENT_CHARACTER)
                .getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * fixes.py {@code decode_inconsistent_utf8}: fix each run that looks like UTF-8 mojibake on its
     * own, when it is shorter than the whole text (so this cannot recurse forever) and looks bad.
     */
    static String decodeInconsistentUtf8(String text) {
        int textLength = text.codePointCount(0, text.length());
        Matcher m = MojibakeData.UTF8_DETECTOR.matcher(text);
        StringBuilder sb = new StringBuilder(text.length());
        int last = 0;
        while (m.find()) {
            String run = m.group();
            boolean fix = run.codePointCount(0, run.length()) < textLength && isBad(run);
            sb.append(text, last, m.start()).append(fix ? fixEncoding(run) : run);
            last = m.end();
        }
        sb.append(text, last, text.length());
        return sb.toString();
    }

    /** fixes.py {@code fix_c1_controls}: U+0080–U+009F read as the sloppy Windows-1252 bytes they were. */
    static String fixC1Controls(String text) {
        StringBuilder sb = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean c1 = c >= 0x80 && c <= 0x9F;
            if (c1 && sb == null) {
                sb = new StringBuilder(text.length()).append(text, 0, i);
            }
            if (sb != null) {
                sb.append(c1 ? (char) MojibakeData.SLOPPY_WINDOWS_1252.decodeByte(c) : c);
            }
        }
        return sb == null ? text : sb.toString();
    }

    private static boolean isAscii(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) > 0x7F) {
                return false;
            }
        }
        return true;
    }

    private static String asLatin1(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }
}
