package dev.kiln.devstack;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What to start.
 *
 * @param flavour processes on this machine or Testcontainers
 * @param topicPartitions Kafka topics to create, name to partition count, in order
 * @param bucket S3 bucket created at start
 * @param s3AccessKey access key the S3 server accepts
 * @param s3SecretKey secret key the S3 server accepts (8+ characters, MinIO's minimum)
 * @param startTimeout how long each service may take to become ready
 * @param workDir where data and logs go; {@code null} for a fresh temp dir. Deleted on close.
 * @param kafkaMaxHeapMegabytes the broker JVM's -Xmx
 */
public record DevStackConfig(
        Flavour flavour,
        Map<String, Integer> topicPartitions,
        String bucket,
        String s3AccessKey,
        String s3SecretKey,
        Duration startTimeout,
        Path workDir,
        int kafkaMaxHeapMegabytes) {

    /** Default topics: the jobs topic with 8 partitions and its dead-letter topic with 1 (docs/contracts.md). */
    public static final Map<String, Integer> DEFAULT_TOPICS = defaultTopics();
    public static final String DEFAULT_BUCKET = "kiln";
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(120);
    public static final int DEFAULT_KAFKA_MAX_HEAP_MEGABYTES = 384;

    public DevStackConfig {
        Objects.requireNonNull(flavour, "flavour");
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(s3AccessKey, "s3AccessKey");
        Objects.requireNonNull(startTimeout, "startTimeout");
        if (s3SecretKey == null || s3SecretKey.length() < 8) {
            throw new IllegalArgumentException("s3SecretKey needs at least 8 characters");
        }
        topicPartitions.forEach((topic, partitions) -> {
            if (partitions == null || partitions < 1) {
                throw new IllegalArgumentException("topic " + topic + " needs at least 1 partition");
            }
        });
        topicPartitions = Collections.unmodifiableMap(new LinkedHashMap<>(topicPartitions));
        if (kafkaMaxHeapMegabytes < 128) {
            throw new IllegalArgumentException("kafkaMaxHeapMegabytes below 128 will not run a broker");
        }
    }

    /** The processes flavour with the default topics, bucket and keys. */
    public static DevStackConfig defaults() {
        return new DevStackConfig(Flavour.PROCESSES, DEFAULT_TOPICS, DEFAULT_BUCKET, "kiln-dev", "kiln-dev-secret",
                DEFAULT_START_TIMEOUT, null, DEFAULT_KAFKA_MAX_HEAP_MEGABYTES);
    }

    /**
     * Defaults overridden by system properties: {@code kiln.stack} (processes|containers),
     * {@code kiln.devstack.topics} ({@code name:partitions,...}), {@code kiln.devstack.bucket},
     * {@code kiln.devstack.start-timeout-seconds}, {@code kiln.devstack.work-dir},
     * {@code kiln.devstack.kafka-max-heap-megabytes}.
     */
    public static DevStackConfig fromSystemProperties() {
        DevStackConfig config = defaults().withFlavour(Flavour.fromSwitch(System.getProperty(Flavour.SWITCH)));
        String topics = System.getProperty("kiln.devstack.topics");
        if (topics != null && !topics.isBlank()) {
            config = config.withTopics(parseTopics(topics));
        }
        String bucket = System.getProperty("kiln.devstack.bucket");
        if (bucket != null && !bucket.isBlank()) {
            config = config.withBucket(bucket);
        }
        Long timeoutSeconds = Long.getLong("kiln.devstack.start-timeout-seconds");
        if (timeoutSeconds != null) {
            config = config.withStartTimeout(Duration.ofSeconds(timeoutSeconds));
        }
        String workDir = System.getProperty("kiln.devstack.work-dir");
        if (workDir != null && !workDir.isBlank()) {
            config = config.withWorkDir(Path.of(workDir));
        }
        Integer heap = Integer.getInteger("kiln.devstack.kafka-max-heap-megabytes");
        if (heap != null) {
            config = new DevStackConfig(config.flavour, config.topicPartitions, config.bucket, config.s3AccessKey,
                    config.s3SecretKey, config.startTimeout, config.workDir, heap);
        }
        return config;
    }

    /** Parses {@code kiln.jobs.v1:8,kiln.jobs.dlq.v1:1}. */
    public static Map<String, Integer> parseTopics(String spec) {
        Map<String, Integer> topics = new LinkedHashMap<>();
        for (String item : spec.split(",")) {
            if (item.isBlank()) {
                continue;
            }
            int colon = item.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("topic '" + item.trim() + "' must be written name:partitions");
            }
            topics.put(item.substring(0, colon).trim(), Integer.parseInt(item.substring(colon + 1).trim()));
        }
        return topics;
    }

    public DevStackConfig withFlavour(Flavour value) {
        return new DevStackConfig(value, topicPartitions, bucket, s3AccessKey, s3SecretKey, startTimeout, workDir,
                kafkaMaxHeapMegabytes);
    }

    public DevStackConfig withTopics(Map<String, Integer> value) {
        return new DevStackConfig(flavour, value, bucket, s3AccessKey, s3SecretKey, startTimeout, workDir,
                kafkaMaxHeapMegabytes);
    }

    public DevStackConfig withBucket(String value) {
        return new DevStackConfig(flavour, topicPartitions, value, s3AccessKey, s3SecretKey, startTimeout, workDir,
                kafkaMaxHeapMegabytes);
    }

    public DevStackConfig withStartTimeout(Duration value) {
        return new DevStackConfig(flavour, topicPartitions, bucket, s3AccessKey, s3SecretKey, value, workDir,
                kafkaMaxHeapMegabytes);
    }

    public DevStackConfig withWorkDir(Path value) {
        return new DevStackConfig(flavour, topicPartitions, bucket, s3AccessKey, s3SecretKey, startTimeout, value,
                kafkaMaxHeapMegabytes);
    }

    private static Map<String, Integer> defaultTopics() {
        Map<String, Integer> topics = new LinkedHashMap<>();
        topics.put("kiln.jobs.v1", 8);
        topics.put("kiln.jobs.dlq.v1", 1);
        topics.put("kiln.ledger.v1", 4);
        return Collections.unmodifiableMap(topics);
    }
}
