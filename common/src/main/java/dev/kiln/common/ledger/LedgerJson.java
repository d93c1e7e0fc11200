package dev.kiln.common.ledger;

import java.io.IOException;
import java.io.UncheckedIOException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * JSON codec of {@link LedgerRecord} (values of {@code kiln.ledger.v1}) and of {@link LedgerBalances.Balance}
 * (the rebuild tool's output lines). Unknown fields are ignored, so a newer mirror may add fields.
 */
public final class LedgerJson {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private LedgerJson() {
    }

    public static String toJson(LedgerRecord record) {
        return write(record);
    }

    public static String toJson(LedgerBalances.Balance balance) {
        return write(balance);
    }

    /** Parses a record; throws {@link IllegalArgumentException} when malformed or of an unknown version. */
    public static LedgerRecord fromJson(String json) {
        LedgerRecord record;
        try {
            record = MAPPER.readValue(json, LedgerRecord.class);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("malformed ledger record: " + e.getMessage(), e);
        }
        if (record.schemaVersion() != LedgerRecord.SCHEMA_VERSION) {
            throw new IllegalArgumentException("unsupported ledger record version " + record.schemaVersion());
        }
        return record;
    }

    private static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
