package dev.kiln.worker.pipeline.image;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A small, fast PNG encoder for 8-bit RGB. ImageIO's PNG writer compresses hard and is slow;
 * generated images are uploaded once and downloaded once, so a low deflate level with the
 * {@code Up} filter (cheap, and effective on smooth photographic rows) is the better trade.
 * Measured on the bench machine, see docs/benchmarks.md.
 */
public final class PngEncoder {

    /** PNG row filter types (PNG spec 9.2). */
    public enum Filter {
        NONE(0), SUB(1), UP(2), PAETH(4);

        final int code;

        Filter(int code) {
            this.code = code;
        }
    }

    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private final int deflateLevel;
    private final Filter filter;

    /** Deflate level 1 (fastest) and the {@code Up} filter: the tuned default. */
    public PngEncoder() {
        this(1, Filter.UP);
    }

    public PngEncoder(int deflateLevel, Filter filter) {
        if (deflateLevel < 0 || deflateLevel > 9) {
            throw new IllegalArgumentException("deflate level must be 0..9");
        }
        this.deflateLevel = deflateLevel;
        this.filter = filter;
    }

    public byte[] encode(RgbImage image) {
        int stride = image.width() * 3;
        byte[] filtered = filter(image.rgb(), stride, image.height());
        ByteArrayOutputStream out = new ByteArrayOutputStream(filtered.length / 2 + 1024);
        out.writeBytes(SIGNATURE);
        byte[] header = new byte[13];
        putInt(header, 0, image.width());
        putInt(header, 4, image.height());
        header[8] = 8; // bit depth
        header[9] = 2; // colour type: truecolour
        chunk(out, "IHDR", header, header.length);
        Deflater deflater = new Deflater(deflateLevel);
        try {
            deflater.setInput(filtered);
            deflater.finish();
            byte[] compressed = new byte[filtered.length + filtered.length / 1000 + 64];
            int length = 0;
            while (!deflater.finished()) {
                if (length == compressed.length) {
                    compressed = java.util.Arrays.copyOf(compressed, compressed.length * 2);
                }
                length += deflater.deflate(compressed, length, compressed.length - length);
            }
            chunk(out, "IDAT", compressed, length);
        } finally {
            deflater.end();
        }
        chunk(out, "IEND", new byte[0], 0);
        return out.toByteArray();
    }

    private byte[] filter(byte[] rgb, int stride, int height) {
        byte[] out = new byte[(stride + 1) * height];
        for (int y = 0; y < height; y++) {
            int in = y * stride;
            int prev = in - stride;
            int o = y * (stride + 1);
            Filter rowFilter = y == 0 && filter == Filter.UP ? Filter.SUB : filter;
            out[o++] = (byte) rowFilter.code;
            switch (rowFilter) {
                case NONE -> System.arraycopy(rgb, in, out, o, stride);
                case SUB -> {
                    for (int i = 0; i < stride; i++) {
                        int left = i >= 3 ? rgb[in + i - 3] : 0;
                        out[o + i] = (byte) (rgb[in + i] - left);
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
        }
        return out;
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

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data, int length) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        byte[] lengthBytes = new byte[4];
        putInt(lengthBytes, 0, length);
        out.writeBytes(lengthBytes);
        out.writeBytes(typeBytes);
        out.write(data, 0, length);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data, 0, length);
        byte[] crcBytes = new byte[4];
        putInt(crcBytes, 0, (int) crc.getValue());
        out.writeBytes(crcBytes);
    }

    private static void putInt(byte[] target, int offset, int value) {
        target[offset] = (byte) (value >>> 24);
        target[offset + 1] = (byte) (value >>> 16);
        target[offset + 2] = (byte) (value >>> 8);
        target[offset + 3] = (byte) value;
    }
}
