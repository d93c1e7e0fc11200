package dev.kiln.common.ledger;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Rebuilds each account's balance and reserved amount from mirrored ledger records: the sum of their
 * deltas, each (account, stream id) counted once however often the at-least-once mirror sent it, in any
 * order. Holds one stream id per distinct entry (about 100 bytes each), nothing else per record.
 *
 * <p>
 * Two checks come with every account: the balance before its oldest record
 * ({@code opening_balance_micros}, 0 when the mirror saw the account's whole history; otherwise its early
 * entries were trimmed before the mirror ran, and the reserved amount may miss their part), and
 * {@code consistent}: whether opening + the sum of balance deltas equals the {@code balance_after_micros}
 * that the newest record carries, which fails when an entry in between is missing.
 */
public final class LedgerBalances {
    private final Map<String, Account> accounts = new TreeMap<>();

    /**
     * One account's rebuilt state.
     *
     * @param balanceMicros opening balance + Σ balance deltas
     * @param reservedMicros Σ reserved deltas
     * @param openingBalanceMicros the balance before the oldest record (0 for a complete history)
     * @param entries distinct entries folded
     * @param duplicates records skipped because their stream id was already folded
     * @param lastStreamId newest stream id seen
     * @param lastBalanceAfterMicros the balance the newest entry recorded
     * @param consistent {@code balanceMicros == lastBalanceAfterMicros}: no entry with a balance change
     *        is missing between the oldest and the newest record
     */
    public record Balance(
            @JsonProperty("account") String account,
            @JsonProperty("balance_micros") long balanceMicros,
            @JsonProperty("reserved_micros") long reservedMicros,
            @JsonProperty("opening_balance_micros") long openingBalanceMicros,
            @JsonProperty("entries") long entries,
            @JsonProperty("duplicates") long duplicates,
            @JsonProperty("last_stream_id") String lastStreamId,
            @JsonProperty("last_balance_after_micros") long lastBalanceAfterMicros,
            @JsonProperty("consistent") boolean consistent) {
    }

    /** Folds the records; the result is ordered by account id. */
    public static Map<String, Balance> fold(Iterable<LedgerRecord> records) {
        LedgerBalances balances = new LedgerBalances();
        for (LedgerRecord r : records) {
            balances.add(r);
        }
        return balances.balances();
    }

    /** Folds one record; false when its (account, stream id) was folded before (nothing changes). */
    public boolean add(LedgerRecord record) {
        return accounts.computeIfAbsent(record.account(), a -> new Account()).add(record);
    }

    /** The balances so far, ordered by account id. */
    public Map<String, Balance> balances() {
        Map<String, Balance> out = new TreeMap<>();
        accounts.forEach((id, a) -> out.put(id, a.balance(id)));
        return out;
    }

    private static final class Account {
        private final Set<String> seen = new HashSet<>();
        private long balanceDeltas;
        private long reservedDeltas;
        private long duplicates;
        private String firstId;
        private long openingBalance;
        private String lastId;
        private long lastBalanceAfter;

        boolean add(LedgerRecord r) {
            if (!seen.add(r.streamId())) {
                duplicates++;
                return false;
            }
            balanceDeltas += r.balanceDeltaMicros();
            reservedDeltas += r.reservedDeltaMicros();
            if (firstId == null || StreamIds.compare(r.streamId(), firstId) < 0) {
                firstId = r.streamId();
                openingBalance = r.balanceAfterMicros() - r.balanceDeltaMicros();
            }
            if (lastId == null || StreamIds.compare(r.streamId(), lastId) > 0) {
                lastId = r.streamId();
                lastBalanceAfter = r.balanceAfterMicros();
            }
            return true;
        }

        Balance balance(String id) {
            long balance = openingBalance + balanceDeltas;
            return new Balance(id, balance, reservedDeltas, openingBalance, seen.size(), duplicates, lastId,
                    lastBalanceAfter, balance == lastBalanceAfter);
        }
    }
}
