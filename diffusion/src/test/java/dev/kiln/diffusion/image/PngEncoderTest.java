package dev.kiln.diffusion.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.zip.Adler32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

import javax.imageio.ImageIO;

import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.kiln.diffusion.image.PngEncoder.Filter;
import dev.kiln.diffusion.image.PngEncoder.Settings;
import dev.kiln.diffusion.image.PngEncoder.Strategy;

class PngEncoderTest {

    /** Gradient rows with noisy patches: deflate finds matches that would cross band borders. */
    private static RgbImage mixedImage(int width, int height) {
        byte[] rgb = new byte[width * height * 3];
        SplittableRandom random = new SplittableRandom(7);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int p = (y * width + x) * 3;
                boolean noisy = (x / 16 + y / 16) % 3 == 0;
                for (int c = 0; c < 3; c++) {
                    rgb[p + c] = (byte) (noisy ? random.nextInt(256) : x + 2 * y + 40 * c);
                }
            }
        }
        return new RgbImage(width, height, rgb);
    }

    /** Forces banding even on small images. */
    private static PngEncoder banded(Filter filter, Strategy strategy, int bands) {
        return new PngEncoder(new Settings(1, filter, strategy, bands, 1));
    }

    /** The zlib stream of a single-IDAT PNG as this encoder writes it. */
    private static byte[] idat(byte[] png) {
        ByteBuffer buffer = ByteBuffer.wrap(png, 8, png.length - 8);
        while (buffer.hasRemaining()) {
            int length = buffer.getInt();
            byte[] type = new byte[4];
            buffer.get(type);
            byte[] data = new byte[length];
            buffer.get(data);
            buffer.getInt();
            if (new String(type, StandardCharsets.US_ASCII).equals("IDAT")) {
                return data;
            }
        }
        throw new AssertionError("no IDAT chunk");
    }

    @ParameterizedTest(name = "{0}x{1} {2} {3} {4} bands")
    @CsvSource({
            "512, 512, UP, DEFAULT, 2",
            "512, 512, UP, DEFAULT, 8",
            "512, 512, SUB, HUFFMAN_ONLY, 3",
            "101, 77, PAETH, DEFAULT, 5",
            "101, 77, NONE, FILTERED, 4",
            "37, 23, UP, HUFFMAN_ONLY, 23",
            "200, 150, UP, AUTO, 3",
            "1, 1, UP, DEFAULT, 8",
            "3, 64, PAETH, DEFAULT, 64",
    })
    void bandedEncodingDecodesThroughImageIoToTheSamePixels(int width, int height, Filter filter, Strategy strategy,
            int bands) throws IOException {
        RgbImage image = mixedImage(width, height);
        RgbImage decoded = ImageDecoder.decode(banded(filter, strategy, bands).encode(image));
        assertThat(decoded.width()).isEqualTo(width);
        assertThat(decoded.height()).isEqualTo(height);
        assertThat(decoded.rgb()).containsExactly(image.rgb());
    }

    @Test
    void bandedZlibStreamInflatesToEveryFilteredRowWithAMatchingAdler32() throws DataFormatException {
        RgbImage image = mixedImage(99, 61);
        byte[] zlib = idat(banded(Filter.UP, Strategy.DEFAULT, 6).encode(image));
        int filteredLength = (99 * 3 + 1) * 61;
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(zlib);
            byte[] filtered = new byte[filteredLength + 1];
            int length = inflater.inflate(filtered);
            assertThat(inflater.finished()).isTrue();
            assertThat(length).isEqualTo(filteredLength);
            assertThat(inflater.getRemaining()).isZero();
            Adler32 adler = new Adler32();
            adler.update(filtered, 0, length);
            int trailer = ByteBuffer.wrap(zlib, zlib.length - 4, 4).getInt();
            assertThat(trailer).isEqualTo((int) adler.getValue());
            assertThat(filtered[0]).as("row 0 filter").isEqualTo((byte) 1);
            assertThat(filtered[99 * 3 + 1]).as("row 1 filter").isEqualTo((byte) 2);
        } finally {
            inflater.end();
        }
    }

    @Test
    void zlibHeaderIsAValidDeflateHeaderWithoutPresetDictionary() {
        byte[] zlib = idat(new PngEncoder().encode(mixedImage(8, 8)));
        int header = ((zlib[0] & 0xff) << 8) | (zlib[1] & 0xff);
        assertThat(zlib[0] & 0x0f).as("method deflate").isEqualTo(8);
        assertThat(header % 31).isZero();
        assertThat(zlib[1] & 0x20).as("FDICT").isZero();
    }

    @Test
    void bandedAndSequentialEncodingsDecodeToTheSamePixels() throws IOException {
        RgbImage image = mixedImage(512, 512);
        byte[] sequential = new PngEncoder(1, Filter.UP).encode(image);
        byte[] parallel = banded(Filter.UP, Strategy.DEFAULT, 4).encode(image);
        assertThat(parallel).isNotEqualTo(sequential);
        assertThat(ImageDecoder.decode(parallel).rgb()).containsExactly(ImageDecoder.decode(sequential).rgb());
    }

    @Test
    void combinedAdler32EqualsTheAdler32OfTheConcatenation() {
        byte[] data = new byte[200_000];
        new SplittableRandom(3).nextBytes(data);
        for (int split : new int[] { 0, 1, 65_521, 100_000, 199_999 }) {
            Adler32 a = new Adler32();
            a.update(data, 0, split);
            Adler32 b = new Adler32();
            b.update(data, split, data.length - split);
            Adler32 whole = new Adler32();
            whole.update(data);
            assertThat(PngEncoder.combineAdler((int) a.getValue(), (int) b.getValue(), data.length - split))
                    .as("split at " + split).isEqualTo((int) whole.getValue());
        }
    }

    @Test
    void autoStrategyKeepsStringMatchingForFlatContent() {
        RgbImage flat = new RgbImage(256, 256, new byte[256 * 256 * 3]);
        assertThat(banded(Filter.UP, Strategy.AUTO, 2).encode(flat))
                .isEqualTo(banded(Filter.UP, Strategy.DEFAULT, 2).encode(flat));
    }

    @Test
    void autoStrategyUsesHuffmanOnlyForTexturedContent() {
        RgbImage noisy = noisyImage(256, 256);
        assertThat(banded(Filter.UP, Strategy.AUTO, 2).encode(noisy))
                .isEqualTo(banded(Filter.UP, Strategy.HUFFMAN_ONLY, 2).encode(noisy));
    }

    @Test
    void rejectsSettingsWithoutABand() {
        assertThatThrownBy(() -> new Settings(1, Filter.UP, Strategy.DEFAULT, 0, 1024))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static RgbImage noisyImage(int width, int height) {
        byte[] rgb = new byte[width * height * 3];
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) random.nextInt(256);
        }
        return new RgbImage(width, height, rgb);
    }

    @Test
    void everyFilterDecodesBackToTheSamePixels() throws IOException {
        RgbImage image = noisyImage(37, 23);
        for (PngEncoder.Filter filter : PngEncoder.Filter.values()) {
            byte[] png = new PngEncoder(1, filter).encode(image);
            RgbImage decoded = ImageDecoder.decode(png);
            assertThat(decoded.width()).isEqualTo(37);
            assertThat(decoded.rgb()).as(filter.name()).containsExactly(image.rgb());
        }
    }

    @Test
    void startsWithThePngSignature() {
        byte[] png = new PngEncoder().encode(noisyImage(4, 4));
        assertThat(png).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
    }

    @Test
    void decoderCompositesTransparentPixelsOntoWhite() throws IOException {
        BufferedImage argb = new BufferedImage(2, 1,
                BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0x00000000);
        argb.setRGB(1, 0, 0xff102030);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(argb, "png", out);
        RgbImage rgb = ImageDecoder.decode(out.toByteArray());
        assertThat(rgb.sample(0, 0, 0)).isEqualTo(255);
        assertThat(rgb.sample(1, 0, 2)).isEqualTo(0x30);
    }

    @Test
    void decoderRejectsBytesThatAreNoImage() {
        Assertions.assertThatThrownBy(() -> ImageDecoder.decode(new byte[] { 1, 2, 3 }))
                .isInstanceOf(IOException.class);
    }
}
