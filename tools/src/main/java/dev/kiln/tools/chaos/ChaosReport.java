package dev.kiln.tools.chaos;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * The outcome of a chaos run: one {@link FaultRow} per fault, the problems found (empty when clean), notes
 * (why accepted jobs did not succeed) and whether the final wait for every job to end ran out.
 */
public record ChaosReport(List<FaultRow> rows, List<String> problems, List<String> notes, Duration elapsed,
        boolean settledInTime) {

    private static final int PROBLEMS_SHOWN = 100;
    private static final String ROW = "%-22s %9s %8s %9s %14s %12s %5s %14s %9s%n";

    public ChaosReport {
        rows = List.copyOf(rows);
        problems = List.copyOf(problems);
        notes = List.copyOf(notes);
    }

    /** No job lost, none charged twice, no µ$ of drift, for every fault. */
    public boolean clean() {
        return rows.stream().allMatch(FaultRow::clean) && problems.isEmpty();
    }

    public FaultRow total() {
        return new FaultRow(null, sum(FaultRow::submitted), sum(FaultRow::accepted), sum(FaultRow::succeeded),
                sum(FaultRow::failedOrExpired), sum(FaultRow::notAccepted), sum(FaultRow::lost),
                sum(FaultRow::doubleCharged), rows.stream().mapToLong(FaultRow::driftMicros).sum());
    }

    public void print(PrintStream out) {
        out.printf(ROW, "fault", "submitted", "accepted", "succeeded", "failed/expired", "not accepted", "lost",
                "double-charged", "drift µ$");
        for (FaultRow row : rows) {
            print(out, row.fault().label(), row);
        }
        print(out, "total", total());
        notes.forEach(note -> out.println("  note: " + note));
        if (!settledInTime) {
            out.println("the final wait ran out: jobs still open then are counted as lost");
        }
        problems.stream().limit(PROBLEMS_SHOWN).forEach(p -> out.println("  PROBLEM " + p));
        if (problems.size() > PROBLEMS_SHOWN) {
            out.println("  ... and " + (problems.size() - PROBLEMS_SHOWN) + " more");
        }
        FaultRow total = total();
        out.printf("%s: %d lost, %d double-charged, %d µ$ drift (%d s)%n", clean() ? "OK" : "FAILED", total.lost(),
                total.doubleCharged(), total.driftMicros(), elapsed.toSeconds());
    }

    private static void print(PrintStream out, String label, FaultRow row) {
        out.printf(ROW, label, row.submitted(), row.accepted(), row.succeeded(), row.failedOrExpired(),
                row.notAccepted(), row.lost(), row.doubleCharged(), row.driftMicros());
    }

    private int sum(ToIntFunction<FaultRow> field) {
        return rows.stream().mapToInt(field).sum();
    }
}
