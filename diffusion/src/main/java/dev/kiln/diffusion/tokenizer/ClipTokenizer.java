package dev.kiln.diffusion.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * CLIP's byte-level BPE tokenizer, as OpenAI's {@code simple_tokenizer.py} that SD 1.5 was
 * trained with: clean the text ({@link ClipTextCleaner}), split it with CLIP's pattern, map each
 * piece's UTF-8 bytes to printable characters ({@code bytes_to_unicode}), merge by rank with a
 * {@code </w>} marker on the last symbol, and look the pieces up in the vocabulary.
 *
 * <p>
 * {@link #inputIds} gives what SD 1.5's text encoder takes: {@code <|startoftext|>}, the first
 * 75 BPE ids, {@code <|endoftext|>}, padded with {@code <|endoftext|>} to 77. Instances are
 * immutable apart from a bounded, synchronised LRU cache of BPE results, so one tokenizer can
 * serve concurrent requests.
 */
public final class ClipTokenizer {

    /** Sequence length of SD 1.5's text encoder. */
    public static final int MAX_LENGTH = 77;
    /** Entries kept in the per-word BPE cache; prompts reuse a small vocabulary of words. */
    public static final int DEFAULT_CACHE_ENTRIES = 10_000;

    private static final String START_OF_TEXT = "<|startoftext|>";
    private static final String END_OF_TEXT = "<|endoftext|>";
    private static final String WORD_END = "</w>";
    private static final Pattern PIECES = Pattern.compile(
            "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    private static final char[] BYTE_TO_UNICODE = bytesToUnicode();

    private final Map<String, Integer> encoder;
    private final Map<String, Integer> mergeRanks;
    private final int bosId;
    private final int eosId;
    private final Map<String, int[]> cache;

    private ClipTokenizer(Map<String, Integer> encoder, Map<String, Integer> mergeRanks, int cacheEntries) {
        this.encoder = encoder;
        this.mergeRanks = mergeRanks;
        this.bosId = requireId(encoder, START_OF_TEXT);
        this.eosId = requireId(encoder, END_OF_TEXT);
        this.cache = new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, int[]> eldest) {
                return size() > cacheEntries;
            }
        };
    }

    /** Loads {@code tokenizer/vocab.json} and {@code tokenizer/merges.txt} of a diffusers model directory. */
    public static ClipTokenizer load(Path modelDir) {
        Path dir = modelDir.resolve("tokenizer");
        return fromFiles(dir.resolve("vocab.json"), dir.resolve("merges.txt"));
    }

    public static ClipTokenizer fromFiles(Path vocabJson, Path mergesTxt) {
        return fromFiles(vocabJson, mergesTxt, DEFAULT_CACHE_ENTRIES);
    }

    public static ClipTokenizer fromFiles(Path vocabJson, Path mergesTxt, int cacheEntries) {
        if (cacheEntries < 0) {
            throw new IllegalArgumentException("cacheEntries must not be negative");
        }
        try {
            Map<String, Integer> encoder = new ObjectMapper().readValue(vocabJson.toFile(), new TypeReference<>() {
            });
            Map<String, Integer> ranks = new HashMap<>();
            List<String> lines = Files.readAllLines(mergesTxt, StandardCharsets.UTF_8);
            int rank = 0;
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                // The first line is the "#version: 0.2" header; blank trailing lines carry nothing.
                if ((i == 0 && line.startsWith("#version")) || line.isBlank()) {
                    continue;
                }
                String[] pair = line.split(" ");
                if (pair.length != 2) {
                    throw new IllegalArgumentException(mergesTxt + " line " + (i + 1) + " is not a merge pair: " + line);
                }
                ranks.putIfAbsent(pairKey(pair[0], pair[1]), rank++);
            }
            return new ClipTokenizer(Map.copyOf(encoder), Map.copyOf(ranks), cacheEntries);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read CLIP tokenizer files " + vocabJson + ", " + mergesTxt, e);
        }
    }

    public int bosId() {
        return bosId;
    }

    /** {@code <|endoftext|>}: ends every sequence and, for SD 1.5, also pads it. */
    public int eosId() {
        return eosId;
    }

    /** The BPE ids of the text alone, untruncated. */
    public int[] bpeIds(String text) {
        String cleaned = ClipTextCleaner.clean(text);
        List<int[]> parts = new ArrayList<>();
        int total = 0;
        Matcher m = PIECES.matcher(cleaned);
        while (m.find()) {
            int[] ids = pieceIds(m.group());
            parts.add(ids);
            total += ids.length;
        }
        int[] out = new int[total];
        int pos = 0;
        for (int[] ids : parts) {
            System.arraycopy(ids, 0, out, pos, ids.length);
            pos += ids.length;
        }
        return out;
    }

    /** The text encoder's input: bos, the first 75 BPE ids, eos, then eos padding to {@link #MAX_LENGTH}. */
    public int[] inputIds(String text) {
        int[] bpe = bpeIds(text);
        int kept = Math.min(bpe.length, MAX_LENGTH - 2);
        int[] out = new int[MAX_LENGTH];
        Arrays.fill(out, eosId);
        out[0] = bosId;
        System.arraycopy(bpe, 0, out, 1, kept);
        return out;
    }

    private int[] pieceIds(String piece) {
        if (piece.equals(START_OF_TEXT)) {
            return new int[] { bosId };
        }
        if (piece.equals(END_OF_TEXT)) {
            return new int[] { eosId };
        }
        byte[] utf8 = piece.getBytes(StandardCharsets.UTF_8);
        char[] mapped = new char[utf8.length];
        for (int i = 0; i < utf8.length; i++) {
            mapped[i] = BYTE_TO_UNICODE[utf8[i] & 0xFF];
        }
        String token = new String(mapped);
        synchronized (cache) {
            int[] cached = cache.get(token);
            if (cached != null) {
                return cached;
            }
        }
        int[] ids = bpe(token).stream().mapToInt(symbol -> requireId(encoder, symbol)).toArray();
        synchronized (cache) {
            cache.put(token, ids);
        }
        return ids;
    }

    /** simple_tokenizer.py's {@code bpe}: repeatedly merge the lowest-ranked adjacent pair everywhere. */
    private List<String> bpe(String token) {
        List<String> word = new ArrayList<>();
        int[] cps = token.codePoints().toArray();
        for (int i = 0; i < cps.length; i++) {
            String symbol = new String(cps, i, 1);
            word.add(i == cps.length - 1 ? symbol + WORD_END : symbol);
        }
        while (word.size() > 1) {
            int bestRank = Integer.MAX_VALUE;
            String first = null;
            String second = null;
            for (int i = 0; i + 1 < word.size(); i++) {
                Integer rank = mergeRanks.get(pairKey(word.get(i), word.get(i + 1)));
                if (rank != null && rank < bestRank) {
                    bestRank = rank;
                    first = word.get(i);
                    second = word.get(i + 1);
                }
            }
            if (first == null) {
                break;
            }
            List<String> merged = new ArrayList<>(word.size());
            for (int i = 0; i < word.size();) {
                if (i + 1 < word.size() && word.get(i).equals(first) && word.get(i + 1).equals(second)) {
                    merged.add(first + second);
                    i += 2;
                } else {
                    merged.add(word.get(i));
                    i++;
                }
            }
            word = merged;
        }
        return word;
    }

    private static String pairKey(String first, String second) {
        // Symbols never contain a space: bytes_to_unicode maps byte 0x20 to U+0120.
        return first + ' ' + second;
    }

    private static int requireId(Map<String, Integer> encoder, String symbol) {
        Integer id = encoder.get(symbol);
        if (id == null) {
            throw new IllegalStateException("CLIP vocabulary has no entry for '" + symbol + "'");
        }
        return id;
    }

    /** GPT-2/CLIP {@code bytes_to_unicode}: printable bytes map to themselves, the rest to U+0100 onwards. */
    private static char[] bytesToUnicode() {
        char[] table = new char[256];
        boolean[] printable = new boolean[256];
        for (int b = '!'; b <= '~'; b++) {
            printable[b] = true;
        }
        for (int b = 0xA1; b <= 0xAC; b++) {
            printable[b] = true;
        }
        for (int b = 0xAE; b <= 0xFF; b++) {
            printable[b] = true;
        }
        int next = 0;
        for (int b = 0; b < 256; b++) {
            table[b] = printable[b] ? (char) b : (char) (256 + next++);
        }
        return table;
    }
}
