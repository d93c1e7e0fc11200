package dev.kiln.common.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class LedgerBalancesTest {

    @Test
    void sumsTheDeltasOfEachAccountFromACompleteHistory() {
        Map<String, LedgerBalances.Balance> b = LedgerBalances.fold(List.of(
                topUp("a", "1-0", 950_000, 950_000),
                reserve("a", "2-0", 2_000, 948_000),
                settle("a", "3-0", 1_000, -2_000, 949_000),
                topUp("b", "1-0", 500, 500)));

        assertThat(b.get("a")).isEqualTo(new LedgerBalances.Balance("a", 949_000, 0, 0, 3, 0, "3-0", 949_000, true));
        assertThat(b.get("b").balanceMicros()).isEqualTo(500);
        assertThat(b.get("b").reservedMicros()).isZero();
    }

    @Test
    void countsAnEntrySentTwiceOnce() {
        LedgerRecord reserve = reserve("a", "2-0", 2_000, 948_000);
        Map<String, LedgerBalances.Balance> b = LedgerBalances.fold(List.of(
                topUp("a", "1-0", 950_000, 950_000), reserve, topUp("a", "1-0", 950_000, 950_000), reserve));

        assertThat(b.get("a").balanceMicros()).isEqualTo(948_000);
        assertThat(b.get("a").reservedMicros()).isEqualTo(2_000);
        assertThat(b.get("a").entries()).isEqualTo(2);
        assertThat(b.get("a").duplicates()).isEqualTo(2);
    }

    @Test
    void reportsWhetherARecordWasNew() {
        LedgerBalances balances = new LedgerBalances();

        assertThat(balances.add(topUp("a", "1-0", 10, 10))).isTrue();
        assertThat(balances.add(topUp("a", "1-0", 10, 10))).isFalse();
        assertThat(balances.add(topUp("b", "1-0", 10, 10))).as("stream ids are per account").isTrue();
    }

    @Test
    void foldsRecordsInAnyOrderToTheSameBalance() {
        Map<String, LedgerBalances.Balance> b = LedgerBalances.fold(List.of(
                settle("a", "3-0", 1_000, -2_000, 949_000), topUp("a", "1-0", 950_000, 950_000),
                reserve("a", "2-0", 2_000, 948_000)));

        assertThat(b.get("a").balanceMicros()).isEqualTo(949_000);
        assertThat(b.get("a").lastStreamId()).isEqualTo("3-0");
        assertThat(b.get("a").consistent()).isTrue();
    }

    @Test
    void ordersStreamIdsNumericallyNotAsText() {
        Map<String, LedgerBalances.Balance> b = LedgerBalances.fold(List.of(
                topUp("a", "9-0", 10, 10), topUp("a", "10-0", 5, 15)));

        assertThat(b.get("a").lastStreamId()).isEqualTo("10-0");
        assertThat(b.get("a").lastBalanceAfterMicros()).isEqualTo(15);
    }

    @Test
    void flagsAMissingEntryBetweenTheOldestAndTheNewest() {
        Map<String, LedgerBalances.Balance> b = LedgerBalances.fold(List.of(
                topUp("a", "1-0", 950_000, 950_000), settle("a", "3-0", 1_000, -2_000, 949_000)));

        assertThat(b.get("a").consistent()).isFalse();
    }

    @Test
    void startsFromTheBalanceBeforeTheOldestRecordWhenEarlierEntriesWereNeverMirrored() {
        Map<String, LedgerBalances.Balance> b = LedgerBalances.fold(List.of(topUp("a", "7-0", 100, 1_100)));

        assertThat(b.get("a").openingBalanceMicros()).isEqualTo(1_000);
        assertThat(b.get("a").balanceMicros()).isEqualTo(1_100);
        assertThat(b.get("a").consistent()).isTrue();
    }

    @Test
    void readsItsOwnJson() {
        LedgerRecord r = LedgerRecord.fromStreamEntry("a", "1700000000000-3", Map.of("type", "settle", "job", "img_1",
                "balance_delta_micros", "1000", "reserved_delta_micros", "-2000", "balance_after_micros", "5",
                "ts_ms", "1700000000000"));

        assertThat(LedgerJson.fromJson(LedgerJson.toJson(r))).isEqualTo(r);
        assertThat(r.reference()).isNull();
    }

    private static LedgerRecord topUp(String account, String id, long credited, long after) {
        return LedgerRecord.fromStreamEntry(account, id, Map.of("type", "topup", "balance_delta_micros",
                Long.toString(credited), "reserved_delta_micros", "0", "balance_after_micros", Long.toString(after)));
    }

    private static LedgerRecord reserve(String account, String id, long cost, long after) {
        return LedgerRecord.fromStreamEntry(account, id, Map.of("type", "reserve", "job", "img_" + id,
                "balance_delta_micros", Long.toString(-cost), "reserved_delta_micros", Long.toString(cost),
                "balance_after_micros", Long.toString(after)));
    }

    private static LedgerRecord settle(String account, String id, long refunded, long reservedDelta, long after) {
        return LedgerRecord.fromStreamEntry(account, id, Map.of("type", "settle", "job", "img_x",
                "balance_delta_micros", Long.toString(refunded), "reserved_delta_micros", Long.toString(reservedDelta),
                "balance_after_micros", Long.toString(after)));
    }
}
