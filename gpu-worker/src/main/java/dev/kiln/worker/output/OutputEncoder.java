package dev.kiln.worker.output;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

import com.luciad.imageio.webp.WebPImageWriterSpi;

import dev.kiln.common.jobs.OutputFormat;
import dev.kiln.diffusion.image.PngEncoder;
import dev.kiln.diffusion.image.RgbImage;

/**
 * Encodes a generated image in the job's {@code output_format}: PNG with the pipeline's own encoder, JPEG with the
 * JDK's ImageIO writer, WebP with libwebp through the {@code webp-imageio} plugin. For JPEG and WebP the job's
 * {@code output_compression} (0..100, default 100) is the writer's quality divided by 100, as OpenAI's default of
 * 100 gives its best-looking files; WebP is always lossy (libwebp's lossless mode ignores quality and makes files
 * larger than PNG's for these images). One instance per thread: ImageIO writers are not thread-safe.
 */
public final class OutputEncoder {
    private final PngEncoder png = new PngEncoder();

    public byte[] encode(RgbImage image, OutputFormat format, int quality) {
        if (quality < 0 || quality > 100) {
            throw new IllegalArgumentException("quality must be 0..100, got " + quality);
        }
        return switch (format) {
            case PNG -> png.encode(image);
            case JPEG -> lossy(jpegWriter(), image, quality, null);
            case WEBP -> lossy(new WebPImageWriterSpi().createWriterInstance(null), image, quality, "Lossy");
        };
    }

    private static ImageWriter jpegWriter() {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
        if (!writers.hasNext()) {
            throw new IllegalStateException("this JDK has no ImageIO JPEG writer");
        }
        return writers.next();
    }

    private static byte[] lossy(ImageWriter writer, RgbImage image, int quality, String compressionType) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(image.rgb().length / 8);
        try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            if (compressionType != null) {
                param.setCompressionType(compressionType);
            }
            param.setCompressionQuality(quality / 100f);
            writer.write(null, new IIOImage(toBufferedImage(image), null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException("encoding failed: " + e.getMessage(), e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    private static BufferedImage toBufferedImage(RgbImage image) {
        BufferedImage out = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
        byte[] rgb = image.rgb();
        int[] pixels = new int[image.width() * image.height()];
        for (int p = 0; p < pixels.length; p++) {
            pixels[p] = (rgb[p * 3] & 0xff) << 16 | (rgb[p * 3 + 1] & 0xff) << 8 | (rgb[p * 3 + 2] & 0xff);
        }
        out.setRGB(0, 0, image.width(), image.height(), pixels, 0, image.width());
        return out;
    }
}
