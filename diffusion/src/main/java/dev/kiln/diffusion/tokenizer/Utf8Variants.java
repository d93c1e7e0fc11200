package dev.kiln.diffusion.tokenizer;

/**
 * ftfy's {@code utf-8-variants} decoder in strict mode: standard UTF-8 that also accepts Java's
 * two-byte null ({@code C0 80}) and CESU-8 surrogate pairs (six bytes, {@code ED A0-AF 80-BF ED B0-BF
 * 80-BF}). Everything else that is not well-formed UTF-8 (lone surrogates, overlong forms, truncated
 * sequences, values above U+10FFFF) is an error, as in Python's strict UTF-8 codec.
 */
final class Utf8Variants {

    private Utf8Variants() {
    }

    /** The decoded text, or null where Python would raise {@code UnicodeDecodeError}. */
    static String decode(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length);
        int i = 0;
        while (i < bytes.length) {
            int b0 = bytes[i] & 0xFF;
            if (b0 < 0x80) {
                sb.append((char) b0);
                i++;
                continue;
            }
            if (b0 == 0xC0 && at(bytes, i + 1) == 0x80) {
                sb.append('\u0000');
                i += 2;
                continue;
            }
            if (b0 == 0xED && isCesu8Pair(bytes, i)) {
                int cp = 0x10000 + ((at(bytes, i + 1) & 0x0F) << 16) + ((at(bytes, i + 2) & 0x3F) << 10)
                        + ((at(bytes, i + 4) & 0x0F) << 6) + (at(bytes, i + 5) & 0x3F);
                sb.appendCodePoint(cp);
                i += 6;
                continue;
            }
            int length;
            int cp;
            int lo = 0x80;
            int hi = 0xBF;
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                length = 2;
                cp = b0 & 0x1F;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                length = 3;
                cp = b0 & 0x0F;
                if (b0 == 0xE0) {
                    lo = 0xA0;
                } else if (b0 == 0xED) {
                    hi = 0x9F;
                }
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                length = 4;
                cp = b0 & 0x07;
                if (b0 == 0xF0) {
                    lo = 0x90;
                } else if (b0 == 0xF4) {
                    hi = 0x8F;
                }
            } else {
                return null;
            }
            for (int k = 1; k < length; k++) {
                int b = at(bytes, i + k);
                int min = k == 1 ? lo : 0x80;
                int max = k == 1 ? hi : 0xBF;
                if (b < min || b > max) {
                    return null;
                }
                cp = (cp << 6) | (b & 0x3F);
            }
            sb.appendCodePoint(cp);
            i += length;
        }
        return sb.toString();
    }

    private static boolean isCesu8Pair(byte[] bytes, int i) {
        return inRange(at(bytes, i + 1), 0xA0, 0xAF) && inRange(at(bytes, i + 2), 0x80, 0xBF)
                && at(bytes, i + 3) == 0xED && inRange(at(bytes, i + 4), 0xB0, 0xBF)
                && inRange(at(bytes, i + 5), 0x80, 0xBF);
    }

    private static boolean inRange(int b, int min, int max) {
        return b >= min && b <= max;
    }

    /** The byte at {@code index}, or -1 past the end. */
    private static int at(byte[] bytes, int index) {
        return index < bytes.length ? bytes[index] & 0xFF : -1;
    }
}
