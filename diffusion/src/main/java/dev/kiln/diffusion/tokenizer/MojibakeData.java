package dev.kiln.diffusion.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * ftfy 6.3.1's mojibake tables, loaded from {@code ftfy-mojibake.tsv} (generated from ftfy's
 * {@code badness.py} and {@code chardata.py}; see the file header): the badness regex, the
 * inconsistent-UTF-8 detector and the single-byte codecs in the order ftfy tries them.
 */
final class MojibakeData {

    /** ftfy's CHARMAP_ENCODINGS, in the order {@code fix_encoding} tries them. */
    static final List<SingleByteCodec> CHARMAP_ENCODINGS;
    static final SingleByteCodec LATIN_1;
    static final SingleByteCodec SLOPPY_WINDOWS_1252;
    /** Python's strict windows-1252: bytes 81, 8D, 8F, 90 and 9D are undefined. */
    static final SingleByteCodec WINDOWS_1252;
    /** badness.py BADNESS_RE; {@code is_bad} is "has a match", {@code badness} the match count. */
    static final Pattern BADNESS;
    /** chardata.py UTF8_DETECTOR_RE. */
    static final Pattern UTF8_DETECTOR;

    static {
        Map<String, SingleByteCodec> codecs = new HashMap<>();
        List<SingleByteCodec> ordered = new ArrayList<>();
        Map<String, String> patterns = new HashMap<>();
        for (String[] f : TsvResource.rows("ftfy-mojibake.tsv")) {
            switch (f[0]) {
                case "category", "clue" -> {
                }
                case "pattern" -> patterns.put(f[1], f[2]);
                case "codec" -> {
                    SingleByteCodec codec = new SingleByteCodec(f[1], parseTable(f[2]));
                    codecs.put(f[1], codec);
                    if (!f[1].equals("windows-1252")) {
                        ordered.add(codec);
                    }
                }
                default -> throw new IllegalStateException("bad row in ftfy-mojibake.tsv: " + String.join("\t", f));
            }
        }
        CHARMAP_ENCODINGS = List.copyOf(ordered);
        LATIN_1 = require(codecs, "latin-1");
        SLOPPY_WINDOWS_1252 = require(codecs, "sloppy-windows-1252");
        WINDOWS_1252 = require(codecs, "windows-1252");
        // UNIX_LINES: like Python's '.', Java's then excludes only '\n'.
        BADNESS = Pattern.compile(requirePattern(patterns, "badness"), Pattern.UNIX_LINES);
        UTF8_DETECTOR = Pattern.compile(requirePattern(patterns, "utf8_detector"), Pattern.UNIX_LINES);
    }

    private MojibakeData() {
    }

    private static int[] parseTable(String field) {
        String[] cells = field.split(" ");
        int[] table = new int[cells.length];
        for (int i = 0; i < cells.length; i++) {
            table[i] = cells[i].equals("-") ? SingleByteCodec.UNDEFINED : Integer.parseInt(cells[i], 16);
        }
        return table;
    }

    private static SingleByteCodec require(Map<String, SingleByteCodec> codecs, String name) {
        SingleByteCodec codec = codecs.get(name);
        if (codec == null) {
            throw new IllegalStateException("ftfy-mojibake.tsv lacks codec " + name);
        }
        return codec;
    }

    private static String requirePattern(Map<String, String> patterns, String name) {
        String pattern = patterns.get(name);
        if (pattern == null) {
            throw new IllegalStateException("ftfy-mojibake.tsv lacks pattern " + name);
        }
        return pattern;
    }
}
