package dev.kiln.api.jobs;

import java.util.Locale;
import java.util.Optional;

/** How finished images are returned: presigned {@code url}s or inline {@code b64_json}. */
public enum ResponseFormat {
    URL,
    B64_JSON;

    /** The name in requests and responses. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The format named {@code value}, if it is one. */
    public static Optional<ResponseFormat> parse(String value) {
        for (ResponseFormat f : values()) {
            if (f.wire().equals(value)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }
}
