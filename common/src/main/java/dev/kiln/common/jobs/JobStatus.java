package dev.kiln.common.jobs;

import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Life cycle of an image job. {@code queued → running → succeeded | failed}; a queued job can
 * also be {@code canceled}; a queued or running job past its deadline is {@code expired}.
 * Terminal states are final: the job's money has been settled exactly once.
 */
public enum JobStatus {
    QUEUED,
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELED,
    EXPIRED;

    /** The lower-case name stored in Redis and returned by the API. */
    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELED || this == EXPIRED;
    }

    @JsonCreator
    public static JobStatus fromWire(String value) {
        if (value == null) {
            throw new IllegalArgumentException("job status is null");
        }
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
