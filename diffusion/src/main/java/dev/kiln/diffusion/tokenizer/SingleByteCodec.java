package dev.kiln.diffusion.tokenizer;

import java.util.HashMap;
import java.util.Map;

/**
 * One of ftfy's single-byte encodings ({@code latin-1}, the {@code sloppy-windows-125x} family,
 * {@code iso-8859-2}, {@code macroman}, {@code cp437}), as the 256-entry table its bytes decode to.
 * Undefined bytes are marked {@link #UNDEFINED} (only strict {@code windows-1252} has them).
 */
final class SingleByteCodec {

    static final int UNDEFINED = -1;

    private final String name;
    private final int[] decodeTable;
    private final Map<Integer, Integer> encodeTable;

    SingleByteCodec(String name, int[] decodeTable) {
        if (decodeTable.length != 256) {
            throw new IllegalArgumentException(name + ": a single-byte table needs 256 entries");
        }
        this.name = name;
        this.decodeTable = decodeTable.clone();
        this.encodeTable = new HashMap<>();
        for (int b = 0; b < 256; b++) {
            if (decodeTable[b] != UNDEFINED && encodeTable.put(decodeTable[b], b) != null) {
                throw new IllegalArgumentException(name + ": code point decoded from two bytes");
            }
        }
    }

    String name() {
        return name;
    }

    /** ftfy's sloppy codecs: the only ones whose byte 1A stands for U+FFFD (see replace_lossy_sequences). */
    boolean isSloppy() {
        return name.startsWith("sloppy-");
    }

    /**
     * ftfy's {@code possible_encoding}: every code point is ASCII other than U+001A, or what one of the
     * bytes 80–FF or 1A decodes to in this codec.
     */
    boolean canEncode(String text) {
        for (int i = 0; i < text.length();) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            boolean asciiRange = cp <= 0x7F && cp != 0x1A;
            if (!asciiRange && !decodesFromHighByteOrSubstitute(cp)) {
                return false;
            }
        }
        return true;
    }

    private boolean decodesFromHighByteOrSubstitute(int cp) {
        Integer b = encodeTable.get(cp);
        return b != null && (b >= 0x80 || b == 0x1A);
    }

    /** Encodes text that {@link #canEncode} accepted. */
    byte[] encode(String text) {
        byte[] out = new byte[text.codePointCount(0, text.length())];
        int n = 0;
        for (int i = 0; i < text.length();) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            Integer b = encodeTable.get(cp);
            if (b == null) {
                throw new IllegalArgumentException(name + " cannot encode U+" + Integer.toHexString(cp));
            }
            out[n++] = (byte) (int) b;
        }
        return out;
    }

    /** Decodes bytes; null when one of them is undefined in this codec (Python's strict errors). */
    String decode(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length);
        for (byte value : bytes) {
            int cp = decodeTable[value & 0xFF];
            if (cp == UNDEFINED) {
                return null;
            }
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }

    int decodeByte(int b) {
        return decodeTable[b];
    }
}
