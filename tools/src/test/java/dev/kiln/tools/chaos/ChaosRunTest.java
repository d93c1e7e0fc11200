package dev.kiln.tools.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The chaos command at a small N against the real local system: every fault in turn, then every job
 * terminal exactly once and every wallet exact to the micro-dollar.
 */
class ChaosRunTest {

    private static final int JOBS = 30;

    @Test
    void everyFaultLeavesNoLostJobNoDoubleChargeAndNoDrift() {
        ChaosOptions options = new ChaosOptions(JOBS, 2, "64x64", 6, List.of(Fault.values()), Duration.ofMillis(100),
                Duration.ofSeconds(6), Duration.ofSeconds(120), Duration.ofSeconds(300),
                Path.of(System.getProperty("kiln.chaos.work-dir", "target/chaos")).toAbsolutePath(), null);
        ByteArrayOutputStream table = new ByteArrayOutputStream();

        ChaosReport report = ChaosRun.run(options, System.out);

        report.print(new PrintStream(table, true, StandardCharsets.UTF_8));
        System.out.print(table.toString(StandardCharsets.UTF_8));
        assertThat(report.rows()).extracting(FaultRow::fault).containsExactly(Fault.values());
        assertThat(report.total().submitted()).isEqualTo(JOBS);
        assertThat(report.total().accepted()).as("requests answered 202").isPositive();
        assertThat(report.settledInTime()).as("every job ended within the bound").isTrue();
        assertThat(report.problems()).isEmpty();
        assertThat(report.rows()).allSatisfy(row -> {
            assertThat(row.lost()).as("lost during " + row.fault().label()).isZero();
            assertThat(row.doubleCharged()).as("double-charged during " + row.fault().label()).isZero();
            assertThat(row.driftMicros()).as("µ$ drift during " + row.fault().label()).isZero();
        });
    }
}
