package dev.kiln.api.account;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.kiln.api.billing.LedgerEntry;

class KeyUsageTest {
    private static final String KEY = "a".repeat(64);
    private static final String OTHER = "b".repeat(64);

    private static LedgerEntry reserve(String job, String key, long micros) {
        return new LedgerEntry("1-0", Map.of("type", "reserve", "job", job, "key", key,
                "amount_micros", Long.toString(micros)));
    }

    private static LedgerEntry settle(String job, long images, long charged, long refunded) {
        return new LedgerEntry("2-0", Map.of("type", "settle", "job", job, "images", Long.toString(images),
                "charged_micros", Long.toString(charged), "refunded_micros", Long.toString(refunded)));
    }

    @Test
    void sumsTheKeysSettledJobsAndKeepsOpenReservationsPending() {
        KeyUsage usage = KeyUsage.of(List.of(
                reserve("j1", KEY, 3000), reserve("j2", OTHER, 1000), reserve("j3", KEY, 2000),
                settle("j1", 2, 2000, 1000), settle("j2", 1, 1000, 0)), KEY);

        assertThat(usage).isEqualTo(new KeyUsage(2, 2, 2000, 1000, 2000));
    }

    @Test
    void ignoresSettlementsOfJobsSubmittedBeforeThePeriod() {
        KeyUsage usage = KeyUsage.of(List.of(settle("earlier", 4, 4000, 0), new LedgerEntry("3-0",
                Map.of("type", "topup", "amount_micros", "100"))), KEY);

        assertThat(usage).isEqualTo(new KeyUsage(0, 0, 0, 0, 0));
    }

    @Test
    void periodsStartAtMidnightUtcOfTheDayAndOfTheFirstOfTheMonth() {
        Instant now = Instant.parse("2026-03-17T23:59:59.999Z");

        assertThat(UsagePeriod.DAY.startMillis(now)).isEqualTo(Instant.parse("2026-03-17T00:00:00Z").toEpochMilli());
        assertThat(UsagePeriod.MONTH.startMillis(now)).isEqualTo(Instant.parse("2026-03-01T00:00:00Z").toEpochMilli());
    }
}
