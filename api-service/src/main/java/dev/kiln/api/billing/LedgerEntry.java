package dev.kiln.api.billing;

import java.util.Map;

/** One entry of {@code kiln:{a:ID}:ledger}: its stream id and fields (all integers are micros). */
public record LedgerEntry(String id, Map<String, String> fields) {

    public String type() {
        return fields.get("type");
    }

    public long balanceDeltaMicros() {
        return num("balance_delta_micros");
    }

    public long reservedDeltaMicros() {
        return num("reserved_delta_micros");
    }

    public long num(String field) {
        String v = fields.get(field);
        return v == null || v.isEmpty() ? 0 : Long.parseLong(v);
    }
}
