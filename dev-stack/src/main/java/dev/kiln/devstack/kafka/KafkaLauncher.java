package dev.kiln.devstack.kafka;

import java.nio.file.Files;
import java.nio.file.Path;

import dev.kiln.devstack.process.ParentWatchdog;

/**
 * Child-JVM entry point of the broker: formats the KRaft storage once, then runs {@code kafka.Kafka}.
 *
 * <p>
 * Formatting in the same JVM as the broker saves one JVM start (several seconds on two cores).
 * Usage: {@code KafkaLauncher <server.properties> <cluster id> <log dir>}.
 */
public final class KafkaLauncher {

    private KafkaLauncher() {
    }

    public static void main(String[] args) {
        if (args.length != 3) {
            throw new IllegalArgumentException("usage: KafkaLauncher <server.properties> <cluster id> <log dir>");
        }
        ParentWatchdog.install();
        String configFile = args[0];
        if (!Files.exists(Path.of(args[2], "meta.properties"))) {
            // A static controller.quorum.voters list is used, so no --standalone here.
            int status = kafka.tools.StorageTool.execute(
                    new String[] { "format", "-t", args[1], "-c", configFile }, System.out);
            if (status != 0) {
                System.err.println("kafka storage format failed with status " + status);
                System.exit(status);
            }
        }
        kafka.Kafka.main(new String[] { configFile });
    }
}
