package dev.kiln.diffusion.image;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ForkJoinTask;
import java.util.zip.Adler32;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A small, fast PNG encoder for 8-bit RGB. ImageIO's PNG writer compresses hard and is slow;
 * generated images are uploaded once and downloaded once, so encode time matters more than the
 * last few percent of size.
 *
 * <p>
 * Large images are compressed like pigz does: the filtered scanlines are cut into row bands,
 * each band is deflated on its own (raw deflate ending in a sync flush, the last one finishing
 * the stream) and the pieces are joined into one zlib stream, so an image's compression runs on
 * several cores. Bands run on {@link java.util.concurrent.ForkJoinPool#commonPool()}, the caller
 * compressing one band itself and taking back any band no pool thread has started, so a busy or
 * single-threaded pool degrades to sequential encoding rather than waiting. A band cannot refer
 * back into the previous one, which costs a little size (measured, docs/benchmarks.md).
 *
 * <p>
 * Instances are immutable and thread-safe.
 */
public final class PngEncoder {

    /** PNG row filter types (PNG spec 9.2). */
    public enum Filter {
        NONE(0),
        SUB(1),
        UP(2),
        PAETH(4);

        final int code;

        Filter(int code) {
            this.code = code;
        }
    }

    /** zlib deflate strategies that {@link Deflater} exposes. */
    public enum Strategy {
        DEFAULT(Deflater.DEFAULT_STRATEGY),
        /** Only matters at levels 4+ in zlib; at level 1 it is the same as DEFAULT. */
        FILTERED(Deflater.FILTERED),
        /** No string matching: much faster on noisy rows, much larger on flat ones. */
        HUFFMAN_ONLY(Deflater.HUFFMAN_ONLY),
        /**
         * Per band: DEFAULT when at least {@link #LZ_MIN_ZERO_FRACTION} of its filtered bytes
         * are zero (flat content, where string matching is both fast and worth it), otherwise
         * HUFFMAN_ONLY (textured content, where level-1 matching is slow and barely smaller).
         */
        AUTO(Deflater.DEFAULT_STRATEGY);

        final int code;

        Strategy(int code) {
            this.code = code;
        }
    }

    /**
     * How to compress.
     *
     * @param deflateLevel zlib level 0..9
     * @param filter the one row filter used for every row (row 0 uses Sub instead of Up)
     * @param strategy zlib strategy
     * @param maxBands upper bound on parallel row bands (1 = sequential)
     * @param minBandBytes a band holds at least this many filtered bytes, so small images stay
     *        sequential: below that, task hand-off costs more than it saves
     */
    public record Settings(int deflateLevel, Filter filter, Strategy strategy, int maxBands, int minBandBytes) {

        public Settings {
            if (deflateLevel < 0 || deflateLevel > 9) {
                throw new IllegalArgumentException("deflate level must be 0..9");
            }
            if (maxBands < 1 || minBandBytes < 1) {
                throw new IllegalArgumentException("maxBands and minBandBytes must be positive");
            }
        }

        /**
         * The tuned default: level 1, Up, AUTO strategy, up to one band per available
         * processor (at most 8), bands of at least 64 KiB (a 512x512 image has 768 KiB).
         */
        public static Settings tuned() {
            return new Settings(1, Filter.UP, Strategy.AUTO,
                    Math.max(1, Math.min(8, Runtime.getRuntime().availableProcessors())), 64 * 1024);
        }

        /** One band on the calling thread: the encoder as it was before banding. */
        public static Settings sequential(int deflateLevel, Filter filter, Strategy strategy) {
            return new Settings(deflateLevel, filter, strategy, 1, Integer.MAX_VALUE);
        }
    }

    /**
     * Zero share of the filtered bytes above which AUTO keeps string matching. Measured with the
     * Up filter on 512x512 images (docs/benchmarks.md): a smooth synthetic image has 62 % zeros
     * and level-1 deflate shrinks it to 8 KiB in about 1.3 ms (Huffman-only: 153 KiB); a
     * photograph has 10 %, a smooth image with sensor-like noise 7 %, and on those Huffman-only is
     * about twice as fast and no larger.
     */
    public static final double LZ_MIN_ZERO_FRACTION = 0.4;

    private static final byte[] SIGNATURE = { (byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    private static final byte[] IHDR = "IHDR".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] IDAT = "IDAT".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] IEND = "IEND".getBytes(StandardCharsets.US_ASCII);
    /** Largest prime below 2^16: Adler-32's modulus. */
    private static final int ADLER_BASE = 65521;

    private final Settings settings;

    /** The tuned default, see {@link Settings#tuned()}. */
    public PngEncoder() {
        this(Settings.tuned());
    }

    /** Sequential encoding with the default strategy. */
    public PngEncoder(int deflateLevel, Filter filter) {
        this(Settings.sequential(deflateLevel, filter, Strategy.DEFAULT));
    }

    public PngEncoder(Settings settings) {
        this.settings = settings;
    }

    public Settings settings() {
        return settings;
    }

    public byte[] encode(RgbImage image) {
        int stride = image.width() * 3;
        int height = image.height();
        long filteredBytes = (long) (stride + 1) * height;
        int bandCount = (int) Math.max(1, Math.min(Math.min(settings.maxBands(), height),
                filteredBytes / settings.minBandBytes()));
        List<Band> bands = compressBands(image, bandCount);

        int adler = bands.get(0).adler;
        int idatLength = 2 + 4 + bands.get(0).length;
        for (int i = 1; i < bands.size(); i++) {
            Band band = bands.get(i);
            adler = combineAdler(adler, band.adler, band.rawLength);
            idatLength = Math.addExact(idatLength, band.length);
        }

        byte[] png = new byte[SIGNATURE.length + (12 + 13) + (12 + idatLength) + 12];
        System.arraycopy(SIGNATURE, 0, png, 0, SIGNATURE.length);
        int at = SIGNATURE.length;

        int ihdr = startChunk(png, at, IHDR, 13);
        putInt(png, ihdr, image.width());
        putInt(png, ihdr + 4, image.height());
        png[ihdr + 8] = 8; // bit depth
        png[ihdr + 9] = 2; // colour type: truecolour; compression, filter, interlace stay 0
        at = endChunk(png, at, 13);

        int idat = startChunk(png, at, IDAT, idatLength);
        png[idat] = 0x78; // zlib: deflate, 32 KiB window
        png[idat + 1] = (byte) zlibFlags(settings.deflateLevel());
        int o = idat + 2;
        for (Band band : bands) {
            System.arraycopy(band.compressed, 0, png, o, band.length);
            o += band.length;
        }
        putInt(png, o, adler);
        at = endChunk(png, at, idatLength);

        startChunk(png, at, IEND, 0);
        endChunk(png, at, 0);
        return png;
    }

    /** One band's raw deflate output and the Adler-32 of its uncompressed (filtered) bytes. */
    private record Band(byte[] compressed, int length, int adler, int rawLength) {
    }

    private List<Band> compressBands(RgbImage image, int bandCount) {
        int height = image.height();
        if (bandCount == 1) {
            return List.of(compressBand(image, 0, height, true));
        }
        List<ForkJoinTask<Band>> forked = new ArrayList<>(bandCount - 1);
        for (int b = 1; b < bandCount; b++) {
            int firstRow = (int) ((long) height * b / bandCount);
            int endRow = (int) ((long) height * (b + 1) / bandCount);
            boolean last = b == bandCount - 1;
            forked.add(ForkJoinTask.adapt(() -> compressBand(image, firstRow, endRow, last)).fork());
        }
        Band[] bands = new Band[bandCount];
        try {
            bands[0] = compressBand(image, 0, (int) ((long) height / bandCount), false);
        } finally {
            // Joined newest first: an external join can unpush and run a band no worker has taken.
            for (int b = bandCount - 1; b >= 1; b--) {
                bands[b] = forked.get(b - 1).join();
            }
        }
        return Arrays.asList(bands);
    }

    private Band compressBand(RgbImage image, int firstRow, int endRow, boolean last) {
        int stride = image.width() * 3;
        byte[] filtered = new byte[(stride + 1) * (endRow - firstRow)];
        filterRows(image.rgb(), stride, firstRow, endRow, filtered);
        Adler32 adler = new Adler32();
        adler.update(filtered, 0, filtered.length);

        // Worst case is stored blocks: 5 bytes per 64 KiB block plus flush markers.
        byte[] out = new byte[filtered.length + filtered.length / 1000 + 64];
        int length = 0;
        Deflater deflater = new Deflater(settings.deflateLevel(), true);
        try {
            deflater.setStrategy(strategyFor(filtered).code);
            deflater.setInput(filtered);
            if (last) {
                deflater.finish();
                while (!deflater.finished()) {
                    out = growIfFull(out, length);
                    length += deflater.deflate(out, length, out.length - length);
                }
            } else {
                // A sync flush ends on a byte boundary with a non-final block, so the next band's
                // raw deflate data can follow directly. Call again while the buffer came back full
                // or input is left: the first call after setStrategy only applies the parameters.
                do {
                    out = growIfFull(out, length);
                    length += deflater.deflate(out, length, out.length - length, Deflater.SYNC_FLUSH);
                } while (length == out.length || !deflater.needsInput());
            }
        } finally {
            deflater.end();
        }
        return new Band(out, length, (int) adler.getValue(), filtered.length);
    }

    private Strategy strategyFor(byte[] filtered) {
        if (settings.strategy() != Strategy.AUTO) {
            return settings.strategy();
        }
        // Every 4th byte is a fair sample (4 is coprime with the 3 channels) at a quarter of the cost.
        int zeros = 0;
        int sampled = 0;
        for (int i = 0; i < filtered.length; i += 4, sampled++) {
            if (filtered[i] == 0) {
                zeros++;
            }
        }
        return zeros >= LZ_MIN_ZERO_FRACTION * sampled ? Strategy.DEFAULT : Strategy.HUFFMAN_ONLY;
    }

    private static byte[] growIfFull(byte[] buffer, int length) {
        return length == buffer.length ? Arrays.copyOf(buffer, buffer.length * 2) : buffer;
    }

    /** Filters rows {@code [firstRow, endRow)} into {@code out}, each row prefixed by its filter byte. */
    private void filterRows(byte[] rgb, int stride, int firstRow, int endRow, byte[] out) {
        Filter filter = settings.filter();
        int o = 0;
        for (int y = firstRow; y < endRow; y++) {
            int in = y * stride;
            int prev = in - stride;
            Filter rowFilter = y == 0 && filter == Filter.UP ? Filter.SUB : filter;
            out[o++] = (byte) rowFilter.code;
            switch (rowFilter) {
                case NONE -> System.arraycopy(rgb, in, out, o, stride);
                case SUB -> {
                    for (int i = 0; i < Math.min(3, stride); i++) {
                        out[o + i] = rgb[in + i];
                    }
                    for (int i = 3; i < stride; i++) {
                        out[o + i] = (byte) (rgb[in + i] - rgb[in + i - 3]);
                    }
                }
                case UP -> {
                    for (int i = 0; i < stride; i++) {
                        out[o + i] = (byte) (rgb[in + i] - rgb[prev + i]);
                    }
                }
                case PAETH -> {
                    for (int i = 0; i < stride; i++) {
                        int a = i >= 3 ? rgb[in + i - 3] & 0xff : 0;
                        int b = y > 0 ? rgb[prev + i] & 0xff : 0;
                        int c = i >= 3 && y > 0 ? rgb[prev + i - 3] & 0xff : 0;
                        out[o + i] = (byte) (rgb[in + i] - paeth(a, b, c));
                    }
                }
                default -> throw new IllegalStateException();
            }
            o += stride;
        }
    }

    private static int paeth(int a, int b, int c) {
        int p = a + b - c;
        int pa = Math.abs(p - a);
        int pb = Math.abs(p - b);
        int pc = Math.abs(p - c);
        if (pa <= pb && pa <= pc) {
            return a;
        }
        return pb <= pc ? b : c;
    }

    /**
     * Adler-32 of {@code A || B} from the checksums of A and B and B's length (zlib's
     * {@code adler32_combine}): the low sum adds up, the high sum gains {@code lengthB * lowA}.
     */
    static int combineAdler(int adlerA, int adlerB, long lengthB) {
        long rem = lengthB % ADLER_BASE;
        long lowA = adlerA & 0xffff;
        long highA = (adlerA >>> 16) & 0xffff;
        long lowB = adlerB & 0xffff;
        long highB = (adlerB >>> 16) & 0xffff;
        long low = (lowA + lowB + ADLER_BASE - 1) % ADLER_BASE;
        long high = (highA + highB + rem * lowA + ADLER_BASE - rem) % ADLER_BASE;
        return (int) ((high << 16) | low);
    }

    /** zlib header's second byte: the level hint plus the check bits that make the header a multiple of 31. */
    static int zlibFlags(int deflateLevel) {
        int levelHint = deflateLevel <= 1 ? 0 : deflateLevel <= 5 ? 1 : deflateLevel == 6 ? 2 : 3;
        int flags = levelHint << 6;
        return flags + (31 - ((0x78 << 8) + flags) % 31) % 31;
    }

    /** Writes a chunk's length and type at {@code at}; returns where its data starts. */
    private static int startChunk(byte[] png, int at, byte[] type, int length) {
        putInt(png, at, length);
        System.arraycopy(type, 0, png, at + 4, 4);
        return at + 8;
    }

    /** Writes the CRC of the chunk starting at {@code at}; returns where the next chunk starts. */
    private static int endChunk(byte[] png, int at, int length) {
        CRC32 crc = new CRC32();
        crc.update(png, at + 4, 4 + length);
        putInt(png, at + 8 + length, (int) crc.getValue());
        return at + 12 + length;
    }

    private static void putInt(byte[] target, int offset, int value) {
        target[offset] = (byte) (value >>> 24);
        target[offset + 1] = (byte) (value >>> 16);
        target[offset + 2] = (byte) (value >>> 8);
        target[offset + 3] = (byte) value;
    }
}
