package dev.kiln.devstack.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.Uuid;

import dev.kiln.devstack.process.ChildProcess;
import dev.kiln.devstack.process.JavaCommand;
import dev.kiln.devstack.process.LocalRepository;
import dev.kiln.devstack.process.LoopbackPorts;
import dev.kiln.devstack.process.Polling;

/** A single-node KRaft Kafka broker (broker and controller in one) in a child JVM on loopback. */
public final class KafkaBroker implements AutoCloseable {

    private static final String CLASSPATH_COMPILE = "/dev/kiln/devstack/kafka/broker-classpath-compile.txt";
    private static final String CLASSPATH_RUNTIME = "/dev/kiln/devstack/kafka/broker-classpath-runtime.txt";
    private static final String LOG4J_CONFIG = "/dev/kiln/devstack/kafka/log4j2.properties";
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);

    private final List<String> command;
    private final Path workDir;
    private final int port;
    private final int controllerPort;
    private final Duration startTimeout;
    private ChildProcess process;

    private KafkaBroker(List<String> command, Path workDir, int port, int controllerPort, Duration startTimeout) {
        this.command = List.copyOf(command);
        this.workDir = workDir;
        this.port = port;
        this.controllerPort = controllerPort;
        this.startTimeout = startTimeout;
    }

    /**
     * Formats storage and starts the broker under {@code workDir}, waits until it serves metadata, then
     * creates {@code topicPartitions} (replication factor 1).
     */
    public static KafkaBroker start(Path workDir, Map<String, Integer> topicPartitions, int maxHeapMegabytes,
            Duration startTimeout) {
        int port = LoopbackPorts.allocate();
        int controllerPort = LoopbackPorts.allocate();
        try {
            Files.createDirectories(workDir);
            Path logDir = workDir.resolve("data");
            Path config = workDir.resolve("server.properties");
            Files.writeString(config, serverProperties(port, controllerPort, logDir), StandardCharsets.UTF_8);
            Path log4j = workDir.resolve("log4j2.properties");
            copyResource(LOG4J_CONFIG, log4j);
            Path launcherClasses = JavaCommand.writeLauncherClasses(workDir.resolve("launcher"), KafkaLauncher.class);

            List<Path> classpath = new ArrayList<>();
            classpath.add(launcherClasses);
            classpath.addAll(LocalRepository.resolveClasspath(CLASSPATH_COMPILE, CLASSPATH_RUNTIME));

            List<String> command = new ArrayList<>();
            command.add(JavaCommand.javaExecutable().toString());
            command.addAll(JavaCommand.smallJvmOptions(maxHeapMegabytes));
            command.add("-Dlog4j2.configurationFile=" + log4j.toUri());
            command.add("-cp");
            command.add(JavaCommand.classpath(classpath));
            command.add(KafkaLauncher.class.getName());
            command.add(config.toString());
            command.add(Uuid.randomUuid().toString());
            command.add(logDir.toString());

            KafkaBroker broker = new KafkaBroker(command, workDir, port, controllerPort, startTimeout);
            broker.startProcess();
            try {
                Topics.create(broker.bootstrapServers(), topicPartitions, startTimeout);
            } catch (RuntimeException e) {
                String tail = broker.process.logTail(40);
                broker.close();
                throw new IllegalStateException(e.getMessage() + "; broker log " + broker.process.logFile() + ":\n"
                        + tail, e);
            }
            return broker;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String bootstrapServers() {
        return LoopbackPorts.HOST + ":" + port;
    }

    public int port() {
        return port;
    }

    public int controllerPort() {
        return controllerPort;
    }

    public synchronized ChildProcess process() {
        return process;
    }

    /**
     * Stops the broker (controlled shutdown) and starts it again on the same ports and log directory, as a
     * rolling restart of a one-node cluster would: topics, records and committed offsets survive; clients
     * see the broker gone for the restart's duration and must reconnect.
     */
    public synchronized void restart() {
        process.stop(STOP_TIMEOUT);
        Polling.await("kafka ports " + port + ", " + controllerPort + " to be released", startTimeout, () -> true,
                () -> LoopbackPorts.isFree(port) && LoopbackPorts.isFree(controllerPort));
        startProcess();
    }

    @Override
    public synchronized void close() {
        process.stop(STOP_TIMEOUT);
    }

    private synchronized void startProcess() {
        ChildProcess started = ChildProcess.start("kafka", command, workDir, workDir.resolve("broker.log"));
        try {
            Polling.await("kafka on port " + port, startTimeout, started::isAlive, () -> LoopbackPorts.isListening(port));
        } catch (RuntimeException e) {
            String tail = started.logTail(40);
            started.stop(STOP_TIMEOUT);
            throw new IllegalStateException(e.getMessage() + "; broker log " + started.logFile() + ":\n" + tail, e);
        }
        process = started;
    }

    static String serverProperties(int port, int controllerPort, Path logDir) {
        String host = LoopbackPorts.HOST;
        return String.join("\n",
                "# Written by kiln-dev-stack: a throwaway single-node KRaft broker.",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@" + host + ":" + controllerPort,
                "listeners=PLAINTEXT://" + host + ":" + port + ",CONTROLLER://" + host + ":" + controllerPort,
                "advertised.listeners=PLAINTEXT://" + host + ":" + port,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "log.dirs=" + logDir,
                "num.partitions=1",
                "default.replication.factor=1",
                "min.insync.replicas=1",
                // One node: every internal topic must make do with one replica.
                "offsets.topic.replication.factor=1",
                // Fewer internal partitions make the first consumer group join much faster.
                "offsets.topic.num.partitions=4",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "transaction.state.log.num.partitions=4",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "share.coordinator.state.topic.num.partitions=1",
                // Tests start consumers one at a time; waiting for more members only slows them.
                "group.initial.rebalance.delay.ms=0",
                "num.network.threads=2",
                "num.io.threads=2",
                "num.recovery.threads.per.data.dir=1",
                "background.threads=2",
                "log.retention.check.interval.ms=300000",
                "auto.create.topics.enable=true",
                "");
    }

    private static void copyResource(String resource, Path target) throws IOException {
        try (InputStream in = KafkaBroker.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource);
            }
            Files.copy(in, target);
        }
    }
}
