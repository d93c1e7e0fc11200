package dev.kiln.diffusion.npy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes NumPy {@code .npy} files of little-endian float32 in C order — the format of
 * the reference fixtures and of the CLI's injected random draws and float image output.
 */
public final class Npy {

    private static final byte[] MAGIC = { (byte) 0x93, 'N', 'U', 'M', 'P', 'Y' };
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']+)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    private Npy() {
    }

    /** A float32 array and its shape. */
    public record Array(long[] shape, float[] data) {
        public Array {
            if (Arrays.stream(shape).reduce(1, Math::multiplyExact) != data.length) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape)
                        + " does not hold " + data.length + " values");
            }
        }
    }

    public static Array read(Path file) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        for (byte b : MAGIC) {
            if (buf.get() != b) {
                throw new IOException(file + " is not a .npy file");
            }
        }
        int major = buf.get();
        buf.get();
        int headerLength = major == 1 ? Short.toUnsignedInt(buf.getShort()) : buf.getInt();
        byte[] headerBytes = new byte[headerLength];
        buf.get(headerBytes);
        String header = new String(headerBytes, StandardCharsets.ISO_8859_1);
        String descr = group(DESCR, header, file);
        if (!descr.equals("<f4")) {
            throw new IOException(file + ": only little-endian float32 is supported, found " + descr);
        }
        if (group(FORTRAN, header, file).equals("True")) {
            throw new IOException(file + ": Fortran order is not supported");
        }
        long[] shape = Arrays.stream(group(SHAPE, header, file).split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).mapToLong(Long::parseLong).toArray();
        float[] data = new float[buf.remaining() / Float.BYTES];
        buf.asFloatBuffer().get(data);
        return new Array(shape, data);
    }

    public static void write(Path file, Array array) throws IOException {
        StringBuilder shape = new StringBuilder();
        for (long d : array.shape()) {
            shape.append(d).append(", ");
        }
        if (array.shape().length > 1) {
            shape.setLength(shape.length() - 2);
        }
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shape + "), }";
        // Header (preamble + dict + newline) is padded with spaces to a multiple of 64 bytes.
        int unpadded = MAGIC.length + 4 + dict.length() + 1;
        int padding = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(padding) + "\n";
        ByteBuffer out = ByteBuffer.allocate(MAGIC.length + 4 + header.length() + array.data().length * Float.BYTES)
                .order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
        out.put(header.getBytes(StandardCharsets.ISO_8859_1));
        out.asFloatBuffer().put(array.data());
        Files.write(file, out.array());
    }

    private static String group(Pattern pattern, String header, Path file) throws IOException {
        Matcher m = pattern.matcher(header);
        if (!m.find()) {
            throw new IOException(file + ": malformed .npy header: " + header);
        }
        return m.group(1);
    }
}
