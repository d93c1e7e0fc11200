package dev.kiln.tools.chaos;

import java.util.Arrays;
import java.util.Locale;

/** The faults a chaos run injects, one after another, each during its own share of the submissions. */
public enum Fault {
    /** {@code kill -9} of a worker in the middle of a batch, then a replacement worker. */
    WORKER_KILL("kill -9 worker"),
    /** {@code kill -9} of the API, then the API again on the same port with the same settings. */
    API_KILL("kill -9 API"),
    /** {@code kill -9} of Redis, then Redis again on the same port, loading its append-only file. */
    REDIS_RESTART("Redis restart (AOF)"),
    /** The Kafka broker stopped and started again with its data. */
    KAFKA_RESTART("Kafka restart"),
    /** Every connection of the API and the workers to S3 reset, and new ones refused, for a while. */
    S3_BLOCK("S3 blocked"),
    /** A third worker joins the consumer group while batches run (a rebalance), and later leaves it. */
    REBALANCE("rebalance mid-batch");

    private final String label;

    Fault(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** {@code worker-kill}, {@code s3-block}, ... as on the command line. */
    public String optionName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Fault fromOption(String name) {
        return Arrays.stream(values()).filter(f -> f.optionName().equals(name.trim())).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown fault '" + name + "'; known: "
                        + Arrays.stream(values()).map(Fault::optionName).toList()));
    }
}
