package dev.kiln.diffusion.tokenizer;

import java.util.Locale;

/**
 * CLIP's text cleaning from OpenAI's {@code simple_tokenizer.py}:
 * {@code whitespace_clean(basic_clean(text)).lower()}, where {@code basic_clean} is ftfy's
 * {@code fix_text} (ported in {@link Ftfy}, mojibake repair included), {@code html.unescape}
 * twice and a strip, and {@code whitespace_clean} collapses whitespace runs to one space.
 */
final class ClipTextCleaner {

    private ClipTextCleaner() {
    }

    static String clean(String text) {
        String fixed = Ftfy.fixText(text);
        String unescaped = HtmlEntities.pythonUnescape(HtmlEntities.pythonUnescape(fixed));
        return collapseWhitespace(unescaped).toLowerCase(Locale.ROOT);
    }

    /** {@code re.sub(r"\s+", " ", text).strip()} with Python's Unicode notion of whitespace. */
    static String collapseWhitespace(String text) {
        StringBuilder out = new StringBuilder(text.length());
        boolean pendingSpace = false;
        for (int i = 0; i < text.length();) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (isPythonWhitespace(cp)) {
                pendingSpace = out.length() > 0;
                continue;
            }
            if (pendingSpace) {
                out.append(' ');
                pendingSpace = false;
            }
            out.appendCodePoint(cp);
        }
        return out.toString();
    }

    /** Python's {@code str.isspace()}: bidi class WS, B or S, or category Zs. */
    static boolean isPythonWhitespace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0
                || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029
                || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }
}
