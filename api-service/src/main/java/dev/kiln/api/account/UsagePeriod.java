package dev.kiln.api.account;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

import dev.kiln.api.errors.ApiException;

/** The calendar periods {@code GET /v1/usage} sums over, in UTC, each from its start until now. */
public enum UsagePeriod {
    DAY("day"),
    MONTH("month");

    private final String wire;

    UsagePeriod(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    /** {@code ?period=}: absent means {@code day}; anything else than day|month is a 400 naming {@code period}. */
    public static UsagePeriod parse(String value) {
        if (value == null || value.isEmpty()) {
            return DAY;
        }
        for (UsagePeriod p : values()) {
            if (p.wire.equals(value)) {
                return p;
            }
        }
        throw ApiException.invalid("period", "'period' must be 'day' or 'month'.");
    }

    /** Epoch millis of the period's first instant (00:00 UTC today, or on the 1st of this month). */
    public long startMillis(Instant now) {
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        LocalDate first = this == DAY ? today : today.withDayOfMonth(1);
        return first.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    }
}
