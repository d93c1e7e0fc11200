package dev.kiln.diffusion.tokenizer;

import java.text.Normalizer;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A port of ftfy 6.3.1's {@code fix_text} with its default configuration, which OpenAI's CLIP
 * {@code simple_tokenizer.py} applies to every prompt: the text is fixed line by line (segments of
 * at most {@value #MAX_DECODE_LENGTH} code points), HTML entities are unescaped until a line contains
 * {@code <}, and each segment gets, until nothing changes: HTML unescaping, {@code fix_encoding}
 * (mojibake repair, {@link MojibakeFixer}), C1 controls read as Windows-1252, Latin ligatures,
 * full-width characters, curly quotes, line breaks, lone surrogates, terminal escapes, control
 * characters and NFC.
 */
final class Ftfy {

    /** ftfy's default {@code max_decode_length}. */
    static final int MAX_DECODE_LENGTH = 1_000_000;

    // \p{Nd}: Python's \d in a str pattern matches any decimal digit, not only ASCII ones.
    private static final Pattern ANSI_ESCAPE = Pattern.compile("\u001b\\[((?:\\p{Nd}|;)*)([a-zA-Z])");
    private static final Pattern SINGLE_QUOTES = Pattern.compile("[\u02bc\u2018-\u201b]");
    private static final Pattern DOUBLE_QUOTES = Pattern.compile("[\u201c-\u201f]");
    private static final Map<Integer, String> LIGATURES = Map.ofEntries(
            Map.entry(0x0132, "IJ"), Map.entry(0x0133, "ij"), Map.entry(0x0149, "\u02bcn"),
            Map.entry(0x01F1, "DZ"), Map.entry(0x01F2, "Dz"), Map.entry(0x01F3, "dz"),
            Map.entry(0x01C4, "D\u017d"), Map.entry(0x01C5, "D\u017e"), Map.entry(0x01C6, "d\u017e"),
            Map.entry(0x01C7, "LJ"), Map.entry(0x01C8, "Lj"), Map.entry(0x01C9, "lj"),
            Map.entry(0x01CA, "NJ"), Map.entry(0x01CB, "Nj"), Map.entry(0x01CC, "nj"),
            Map.entry(0xFB00, "ff"), Map.entry(0xFB01, "fi"), Map.entry(0xFB02, "fl"),
            Map.entry(0xFB03, "ffi"), Map.entry(0xFB04, "ffl"), Map.entry(0xFB05, "\u017ft"),
            Map.entry(0xFB06, "st"));

    private Ftfy() {
    }

    static String fixText(String text) {
        StringBuilder out = new StringBuilder(text.length());
        boolean unescapeHtml = true;
        int pos = 0;
        while (pos < text.length()) {
            int lineEnd = text.indexOf('\n', pos) + 1;
            if (lineEnd == 0) {
                lineEnd = text.length();
            }
            if (text.codePointCount(pos, lineEnd) > MAX_DECODE_LENGTH) {
                lineEnd = text.offsetByCodePoints(pos, MAX_DECODE_LENGTH);
            }
            String segment = text.substring(pos, lineEnd);
            // ftfy's "auto" mode: once a line looks like HTML, entities are left alone from then on.
            if (segment.indexOf('<') >= 0) {
                unescapeHtml = false;
            }
            out.append(fixSegment(segment, unescapeHtml));
            pos = lineEnd;
        }
        return out.toString();
    }

    private static String fixSegment(String text, boolean unescapeHtml) {
        while (true) {
            String original = text;
            if (unescapeHtml) {
                text = HtmlEntities.ftfyUnescape(text);
            }
            text = MojibakeFixer.fixEncoding(text);
            text = MojibakeFixer.fixC1Controls(text);
            text = fixLatinLigatures(text);
            text = fixCharacterWidth(text);
            text = DOUBLE_QUOTES.matcher(SINGLE_QUOTES.matcher(text).replaceAll("'")).replaceAll("\"");
            text = fixLineBreaks(text);
            text = fixSurrogates(text);
            text = ANSI_ESCAPE.matcher(text).replaceAll("");
            text = removeControlChars(text);
            text = Normalizer.normalize(text, Normalizer.Form.NFC);
            if (text.equals(original)) {
                return text;
            }
        }
    }

    private static String fixLatinLigatures(String text) {
        return mapCodePoints(text, cp -> LIGATURES.get(cp));
    }

    /** Full-width and half-width forms (U+FF01–U+FFEF) to their NFKC form, ideographic space to a space. */
    private static String fixCharacterWidth(String text) {
        return mapCodePoints(text, cp -> {
            if (cp == 0x3000) {
                return " ";
            }
            if (cp >= 0xFF01 && cp < 0xFFF0) {
                String c = String.valueOf((char) cp);
                String alternate = Normalizer.normalize(c, Normalizer.Form.NFKC);
                return alternate.equals(c) ? null : alternate;
            }
            return null;
        });
    }

    private static String fixLineBreaks(String text) {
        return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
                .replace("\u2029", "\n").replace("\u0085", "\n");
    }

    /** Java strings already pair surrogates; an unpaired one becomes U+FFFD as ftfy makes it. */
    private static String fixSurrogates(String text) {
        StringBuilder sb = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean lone = Character.isHighSurrogate(c)
                    ? i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1))
                    : Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(text.charAt(i - 1)));
            if (lone && sb == null) {
                sb = new StringBuilder(text.substring(0, i));
            }
            if (sb != null) {
                sb.append(lone ? '\uFFFD' : c);
            }
        }
        return sb == null ? text : sb.toString();
    }

    /** ftfy's CONTROL_CHARS: C0 controls except tab, LF, FF, CR; DEL; deprecated format chars; BOM; U+FFF9–U+FFFC. */
    private static String removeControlChars(String text) {
        return mapCodePoints(text, cp -> {
            boolean control = (cp <= 0x08) || cp == 0x0B || (cp >= 0x0E && cp <= 0x1F) || cp == 0x7F
                    || (cp >= 0x206A && cp <= 0x206F) || cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFC);
            return control ? "" : null;
        });
    }

    private interface CodePointMapper {
        /** Replacement for the code point, or null to keep it. */
        String map(int codePoint);
    }

    private static String mapCodePoints(String text, CodePointMapper mapper) {
        StringBuilder sb = null;
        for (int i = 0; i < text.length();) {
            int cp = text.codePointAt(i);
            String replacement = mapper.map(cp);
            if (replacement != null && sb == null) {
                sb = new StringBuilder(text.substring(0, i));
            }
            if (sb != null) {
                if (replacement != null) {
                    sb.append(replacement);
                } else {
                    sb.appendCodePoint(cp);
                }
            }
            i += Character.charCount(cp);
        }
        return sb == null ? text : sb.toString();
    }
}
