package dev.kiln.tools.ledger;

import java.time.Duration;
import java.util.Objects;

/**
 * What {@link RebuildBalances} reads and compares.
 *
 * @param bootstrapServers Kafka bootstrap servers
 * @param topic the ledger topic
 * @param readTimeout bound on reading the topic from its beginning to the end offsets taken at start
 * @param redisUri a Redis to compare the rebuilt balances with, or null
 * @param redisTimeout per-command timeout of that Redis
 */
public record RebuildOptions(String bootstrapServers, String topic, Duration readTimeout, String redisUri,
        Duration redisTimeout) {

    public static final String USAGE = """
            rebuild-balances: reads the ledger topic from its beginning and prints one JSON line per account
            (balance and reserved rebuilt from the mirrored entries, each stream id counted once).
              --bootstrap-servers H:P   Kafka (required)
              --topic NAME              ledger topic (default kiln.ledger.v1)
              --timeout-seconds N       bound on reading the topic to its end (default 300)
              --redis URI               also compare with this Redis's account hashes; exit 1 on a difference
              --redis-timeout-seconds N per-command timeout of that Redis (default 5)
            """;

    public RebuildOptions {
        Objects.requireNonNull(bootstrapServers, "--bootstrap-servers is required");
        if (readTimeout.isNegative() || readTimeout.isZero() || redisTimeout.isNegative() || redisTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
    }

    public static RebuildOptions parse(String[] args) {
        String bootstrap = null;
        String topic = "kiln.ledger.v1";
        long timeoutSeconds = 300;
        String redis = null;
        long redisTimeoutSeconds = 5;
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + name + " needs a value");
            }
            String value = args[++i];
            switch (name) {
                case "--bootstrap-servers" -> bootstrap = value;
                case "--topic" -> topic = value;
                case "--timeout-seconds" -> timeoutSeconds = Long.parseLong(value);
                case "--redis" -> redis = value;
                case "--redis-timeout-seconds" -> redisTimeoutSeconds = Long.parseLong(value);
                default -> throw new IllegalArgumentException("unknown option " + name);
            }
        }
        if (bootstrap == null) {
            throw new IllegalArgumentException("--bootstrap-servers is required");
        }
        return new RebuildOptions(bootstrap, topic, Duration.ofSeconds(timeoutSeconds), redis,
                Duration.ofSeconds(redisTimeoutSeconds));
    }
}
