package dev.kiln.common.ledger;

import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One ledger entry as mirrored to the Kafka topic {@code kiln.ledger.v1} (record key = account id, so one
 * account's records stay in one partition, in stream order; value = this record as JSON). The mirror is
 * at-least-once: the same entry may appear more than once, always with the same {@code stream_id}, so a
 * reader de-duplicates by (account, stream id) ({@link LedgerBalances} does).
 *
 * @param schemaVersion {@code v}, currently {@link #SCHEMA_VERSION}
 * @param account account id
 * @param streamId the entry's id in {@code kiln:{a:ID}:ledger} ({@code <millis>-<sequence>}), unique per account
 * @param kind the entry's {@code type}: {@code topup}, {@code reserve}, {@code settle} (or {@code restore},
 *        written by an operator after a rebuild; see docs/operations.md)
 * @param balanceDeltaMicros change of the account's balance
 * @param reservedDeltaMicros change of the account's reserved amount
 * @param balanceAfterMicros the balance right after this entry
 * @param job job id of a {@code reserve} or {@code settle} entry, else null
 * @param reference the caller's reference of a {@code topup}, else null
 * @param timestampMillis {@code ts_ms}: Redis's clock when the entry was written
 * @param fields every field of the stream entry as stored, for audits (amounts, fee, status, key…)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LedgerRecord(
        @JsonProperty("v") int schemaVersion,
        @JsonProperty("account") String account,
        @JsonProperty("stream_id") String streamId,
        @JsonProperty("kind") String kind,
        @JsonProperty("balance_delta_micros") long balanceDeltaMicros,
        @JsonProperty("reserved_delta_micros") long reservedDeltaMicros,
        @JsonProperty("balance_after_micros") long balanceAfterMicros,
        @JsonProperty("job") String job,
        @JsonProperty("reference") String reference,
        @JsonProperty("ts_ms") long timestampMillis,
        @JsonProperty("fields") Map<String, String> fields) {

    public static final int SCHEMA_VERSION = 1;

    public LedgerRecord {
        if (account == null || account.isEmpty()) {
            throw new IllegalArgumentException("a ledger record needs its account");
        }
        if (!StreamIds.isValid(streamId)) {
            throw new IllegalArgumentException("invalid stream id: " + streamId);
        }
        fields = fields == null ? Map.of() : Map.copyOf(fields);
    }

    /** The record of a stream entry as the Lua scripts write it (integers as decimal strings). */
    public static LedgerRecord fromStreamEntry(String account, String streamId, Map<String, String> fields) {
        String reference = fields.get("reference");
        return new LedgerRecord(SCHEMA_VERSION, account, streamId, fields.get("type"),
                num(fields, "balance_delta_micros"), num(fields, "reserved_delta_micros"),
                num(fields, "balance_after_micros"), emptyToNull(fields.get("job")), emptyToNull(reference),
                num(fields, "ts_ms"), fields);
    }

    private static long num(Map<String, String> fields, String name) {
        String v = fields.get(name);
        return v == null || v.isEmpty() ? 0 : Long.parseLong(v);
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
