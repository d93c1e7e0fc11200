package dev.kiln.common.jobs;

/**
 * The file format of a job's output images: OpenAI's {@code output_format}. The wire name is also the S3 key's
 * extension ({@code outputs/<job>/<i>.<wire>}).
 */
public enum OutputFormat {
    PNG("png", "image/png"),
    JPEG("jpeg", "image/jpeg"),
    WEBP("webp", "image/webp");

    private final String wire;
    private final String contentType;

    OutputFormat(String wire, String contentType) {
        this.wire = wire;
        this.contentType = contentType;
    }

    /** The JSON value and the key extension: {@code png}, {@code jpeg}, {@code webp}. */
    public String wire() {
        return wire;
    }

    /** The MIME type stored with the object. */
    public String contentType() {
        return contentType;
    }

    /** @throws IllegalArgumentException for any other name */
    public static OutputFormat fromWire(String wire) {
        for (OutputFormat f : values()) {
            if (f.wire.equals(wire)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown output format " + wire + " (png, jpeg or webp)");
    }

    /** The format of an output key by its extension, PNG for anything else. */
    public static OutputFormat ofKey(String key) {
        for (OutputFormat f : values()) {
            if (key.endsWith("." + f.wire)) {
                return f;
            }
        }
        return PNG;
    }
}
