package dev.kiln.devstack;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.kiln.devstack.containers.ContainerDevStack;
import dev.kiln.devstack.local.ProcessDevStack;

/**
 * A running set of real backing services for tests and local runs: a Kafka broker, a Redis server and an
 * S3-compatible server, on free loopback ports.
 *
 * <pre>{@code
 * try (DevStack stack = DevStack.start(DevStackConfig.fromSystemProperties())) {
 *     String bootstrap = stack.kafkaBootstrapServers();
 *     Map<String, String> quarkusConfig = stack.settings();
 * }
 * }</pre>
 *
 * <p>
 * Closing stops every service and deletes its data. Services also stop on their own when the JVM that
 * started them dies, even by {@code kill -9} (see docs/dev-stack.md).
 */
public interface DevStack extends AutoCloseable {

    /** Starts the flavour {@code config} asks for and returns once every service is ready. */
    static DevStack start(DevStackConfig config) {
        return switch (config.flavour()) {
            case PROCESSES -> ProcessDevStack.start(config);
            case CONTAINERS -> ContainerDevStack.start(config);
        };
    }

    /** {@link #start(DevStackConfig)} with {@link DevStackConfig#fromSystemProperties()}. */
    static DevStack start() {
        return start(DevStackConfig.fromSystemProperties());
    }

    Flavour flavour();

    /** {@code host:port} of the Kafka broker. */
    String kafkaBootstrapServers();

    /** {@code redis://host:port}. */
    String redisUri();

    S3Settings s3();

    /** Topics created at start, with their partition counts. */
    Map<String, Integer> topics();

    /** Stops Redis and starts it again on the same port, empty; clients must reconnect. */
    void restartRedis();

    /**
     * {@code kill -9} of Redis, then a new server on the same port that reloads the append-only file: every
     * write the old one acknowledged is back; clients must reconnect. Processes flavour only.
     */
    default void restartRedisFromAof() {
        throw new UnsupportedOperationException("restartRedisFromAof: not supported by the " + flavour() + " flavour");
    }

    /**
     * Stops the Kafka broker and starts it again on the same port with its data (topics, records, committed
     * offsets); clients must reconnect. Processes flavour only.
     */
    default void restartKafka() {
        throw new UnsupportedOperationException("restartKafka: not supported by the " + flavour() + " flavour");
    }

    /** The service processes this JVM started (empty for the containers flavour). */
    List<ProcessHandle> processes();

    /** Stops every service and removes their data; idempotent. */
    @Override
    void close();

    /**
     * The settings in the form the Quarkus apps read (docs/contracts.md): {@code kafka.bootstrap.servers},
     * {@code kiln.api.redis.uri}, {@code kiln.api.s3.*} and their {@code kiln.worker.*} twins.
     */
    default Map<String, String> settings() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("kafka.bootstrap.servers", kafkaBootstrapServers());
        S3Settings s3 = s3();
        for (String prefix : List.of("kiln.api", "kiln.worker")) {
            settings.put(prefix + ".redis.uri", redisUri());
            settings.put(prefix + ".s3.endpoint", s3.endpoint());
            settings.put(prefix + ".s3.access-key", s3.accessKey());
            settings.put(prefix + ".s3.secret-key", s3.secretKey());
            settings.put(prefix + ".s3.bucket", s3.bucket());
        }
        return settings;
    }
}
