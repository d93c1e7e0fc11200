package dev.kiln.tools.chaos;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a chaos run does.
 *
 * @param jobs jobs submitted in all, shared evenly between the faults
 * @param accountsPerFault accounts submitting during each fault (each fault has its own, so money is
 *        attributed to the fault exactly)
 * @param size image size of every job ({@code WxH})
 * @param steps denoising steps of every job
 * @param faults the faults, in the order they are injected
 * @param submitInterval pause between two submissions of one fault's share
 * @param s3Outage how long S3 stays blocked
 * @param submitTimeout how long one submission is retried (same Idempotency-Key) before it is given up
 * @param settleTimeout bound on the final wait until every job is terminal and every reservation settled
 * @param workDir per-process directories of the local system (logs); emptied at start
 * @param modelDir an SD 1.5 ONNX export for the workers, or null for the repository's test model
 */
public record ChaosOptions(
        int jobs,
        int accountsPerFault,
        String size,
        int steps,
        List<Fault> faults,
        Duration submitInterval,
        Duration s3Outage,
        Duration submitTimeout,
        Duration settleTimeout,
        Path workDir,
        Path modelDir) {

    public static final String USAGE = """
            chaos: N jobs from several accounts on a priced model while faults are injected one after another;
            then every job must be terminal exactly once and every wallet exact to the micro-dollar.
              --jobs N                   jobs in all, shared evenly between the faults (default 200)
              --accounts N               accounts per fault (default 4)
              --size WxH                 image size (default 128x128)
              --steps N                  denoising steps (default 8)
              --faults a,b,...           subset/order of: worker-kill, api-kill, redis-restart, kafka-restart,
                                         s3-block, rebalance (default: all, in that order)
              --submit-interval-millis N pause between submissions (default 100)
              --s3-outage-seconds N      how long S3 stays blocked (default 8)
              --settle-timeout-seconds N bound on the final wait for every job to end (default 600)
              --work-dir DIR             logs of every process (default target/chaos)
              --model DIR                an SD 1.5 ONNX export (default: the repository's test model)
            """;

    public ChaosOptions {
        if (jobs < 1 || accountsPerFault < 1 || steps < 1) {
            throw new IllegalArgumentException("--jobs, --accounts and --steps must be at least 1");
        }
        faults = List.copyOf(faults);
        if (faults.isEmpty()) {
            throw new IllegalArgumentException("--faults names no fault");
        }
        Objects.requireNonNull(size, "size");
        Objects.requireNonNull(workDir, "workDir");
    }

    public static ChaosOptions parse(String[] args) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --name value, got '" + args[i] + "'\n" + USAGE);
            }
            values.put(args[i].substring(2), args[++i]);
        }
        List<String> known = List.of("jobs", "accounts", "size", "steps", "faults", "submit-interval-millis",
                "s3-outage-seconds", "settle-timeout-seconds", "work-dir", "model");
        for (String name : values.keySet()) {
            if (!known.contains(name)) {
                throw new IllegalArgumentException("unknown option --" + name + "\n" + USAGE);
            }
        }
        List<Fault> faults = values.containsKey("faults")
                ? Arrays.stream(values.get("faults").split(",")).map(Fault::fromOption).toList()
                : List.of(Fault.values());
        return new ChaosOptions(
                Integer.parseInt(values.getOrDefault("jobs", "200")),
                Integer.parseInt(values.getOrDefault("accounts", "4")),
                values.getOrDefault("size", "128x128"),
                Integer.parseInt(values.getOrDefault("steps", "8")),
                faults,
                Duration.ofMillis(Long.parseLong(values.getOrDefault("submit-interval-millis", "100"))),
                Duration.ofSeconds(Long.parseLong(values.getOrDefault("s3-outage-seconds", "8"))),
                Duration.ofSeconds(120),
                Duration.ofSeconds(Long.parseLong(values.getOrDefault("settle-timeout-seconds", "600"))),
                Path.of(values.getOrDefault("work-dir", System.getProperty("kiln.chaos.work-dir", "target/chaos")))
                        .toAbsolutePath(),
                values.containsKey("model") ? Path.of(values.get("model")) : null);
    }

    /** Jobs submitted during fault number {@code index} (0-based): an even share, the rest to the first ones. */
    public int jobsDuring(int index) {
        int share = jobs / faults.size();
        return share + (index < jobs % faults.size() ? 1 : 0);
    }
}
