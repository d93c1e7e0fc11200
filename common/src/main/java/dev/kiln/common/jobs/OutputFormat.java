package dev.kiln.common.jobs;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;
import java.util.Optional;

/** Encoding of a job's output images ({@code output_format} in OpenAI's API and in the job spec). */
public enum OutputFormat {
    PNG, JPEG, WEBP;

    /** The lower-case name used on the wire and in the job spec. */
    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The format named {@code value} (case-insensitive), if it is one. */
    public static Optional<OutputFormat> parse(String value) {
        for (OutputFormat f : values()) {
            if (f.wire().equalsIgnoreCase(value)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    @JsonCreator
    static OutputFormat fromWire(String value) {
        return parse(value).orElseThrow(() -> new IllegalArgumentException("unknown output format " + value));
    }
}
