package dev.kiln.api.images;

import java.util.Locale;

/** The outcomes of the submit script (its first reply element). */
public enum AdmissionOutcome {
    OK,
    REPLAY,
    UNAUTHENTICATED,
    IDEMPOTENCY_CONFLICT,
    RATE_LIMITED_REQUESTS,
    RATE_LIMITED_IMAGES,
    INSUFFICIENT_CREDITS;

    /** The lower-case name the script returns; also the metric tag. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    static AdmissionOutcome fromWire(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
