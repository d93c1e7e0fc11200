package dev.kiln.api.images;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Base64;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.spi.IIORegistry;
import javax.imageio.stream.ImageInputStream;

import com.twelvemonkeys.imageio.plugins.webp.WebPImageReaderSpi;

import dev.kiln.api.errors.ApiException;
import dev.kiln.common.errors.ErrorCodes;

/**
 * Input image checks: size in bytes, format (PNG, JPEG, WebP, GIF, BMP only), dimensions (read from
 * the header before decoding, so a decompression bomb is refused cheaply), decodability. PNG inputs
 * are stored as given; the other formats are re-encoded to PNG so the worker only ever reads PNG.
 */
public final class InputImages {
    private static final byte[] PNG_MAGIC = { (byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    /** ImageIO format names accepted; ImageIO also reads TIFF and WBMP, which clients have no reason to send. */
    private static final Set<String> FORMATS = Set.of("png", "jpeg", "webp", "gif", "bmp");
    private static final String FORMAT_LIST = "PNG, JPEG, WebP, GIF or BMP";

    static {
        // Registered by hand: ImageIO's service scan sees only the class path it started with.
        IIORegistry.getDefaultInstance().registerServiceProvider(new WebPImageReaderSpi());
    }

    /** A decoded and checked input image. */
    public record Decoded(byte[] png, int width, int height) {
    }

    private final int maxBytes;
    private final int maxSidePx;

    public InputImages(int maxBytes, int maxSidePx) {
        this.maxBytes = maxBytes;
        this.maxSidePx = maxSidePx;
    }

    /** Decodes a base64 string or a {@code data:image/...;base64,} URL. */
    public byte[] fromBase64(String value, String param) {
        String b64 = value.trim();
        if (b64.startsWith("data:")) {
            int comma = b64.indexOf(',');
            if (comma < 0 || !b64.substring(0, comma).endsWith(";base64")) {
                throw ApiException.invalid(param, ErrorCodes.INVALID_IMAGE,
                        "'" + param + "' must be base64 or a base64 data URL.");
            }
            b64 = b64.substring(comma + 1);
        }
        // Refuse before allocating: base64 expands 3 bytes into 4 characters.
        if ((long) b64.length() * 3 / 4 > maxBytes + 3L) {
            throw tooLarge(param);
        }
        try {
            return Base64.getMimeDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(param, ErrorCodes.INVALID_IMAGE, "'" + param + "' is not valid base64.");
        }
    }

    /** Validates and decodes; the PNG to store and the image's size. CPU-heavy: run it on the decode pool. */
    public Decoded decode(byte[] bytes, String param) {
        if (bytes.length > maxBytes) {
            throw tooLarge(param);
        }
        if (bytes.length == 0) {
            throw undecodable(param);
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw undecodable(param);
            }
            ImageReader reader = readers.next();
            try {
                String format = reader.getFormatName().toLowerCase(Locale.ROOT);
                if (!FORMATS.contains(format)) {
                    throw ApiException.invalid(param, ErrorCodes.INVALID_IMAGE, "'" + param + "' is " + format
                            + "; send " + FORMAT_LIST + ".");
                }
                reader.setInput(in, true, true);
                int w = reader.getWidth(0);
                int h = reader.getHeight(0);
                if (w > maxSidePx || h > maxSidePx) {
                    throw ApiException.invalid(param, ErrorCodes.IMAGE_TOO_LARGE,
                            "'" + param + "' is " + w + "x" + h + "; at most " + maxSidePx + " px per side is accepted.");
                }
                BufferedImage image = reader.read(0);
                if (image == null || w < 1 || h < 1) {
                    throw undecodable(param);
                }
                return new Decoded(isPng(bytes) ? bytes : toPng(image, bytes.length), w, h);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ApiException api) {
                throw api;
            }
            throw undecodable(param);
        }
    }

    private static byte[] toPng(BufferedImage image, int sizeHint) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(sizeHint * 2);
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    private static boolean isPng(byte[] b) {
        if (b.length < PNG_MAGIC.length) {
            return false;
        }
        for (int i = 0; i < PNG_MAGIC.length; i++) {
            if (b[i] != PNG_MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    private ApiException tooLarge(String param) {
        return ApiException.invalid(param, ErrorCodes.IMAGE_TOO_LARGE,
                "'" + param + "' is larger than " + maxBytes + " bytes.");
    }

    private static ApiException undecodable(String param) {
        return ApiException.invalid(param, ErrorCodes.INVALID_IMAGE,
                "'" + param + "' could not be decoded as an image (" + FORMAT_LIST + ").");
    }
}
