package dev.kiln.common.jobs;

import java.util.Optional;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The file format of a job's output images: OpenAI's {@code output_format}, in requests and in the job spec.
 * The wire name is also the S3 key's extension ({@code outputs/<job>/<i>.<wire>}).
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
    @JsonValue
    public String wire() {
        return wire;
    }

    /** The MIME type stored with the object. */
    public String contentType() {
        return contentType;
    }

    /** The format named {@code value} (case-insensitive), if it is one. */
    public static Optional<OutputFormat> parse(String value) {
        for (OutputFormat f : values()) {
            if (f.wire.equalsIgnoreCase(value)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    /** @throws IllegalArgumentException for any other name */
    @JsonCreator
    public static OutputFormat fromWire(String wire) {
        return parse(wire).orElseThrow(
                () -> new IllegalArgumentException("unknown output format " + wire + " (png, jpeg or webp)"));
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
