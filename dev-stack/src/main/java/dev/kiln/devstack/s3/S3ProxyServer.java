package dev.kiln.devstack.s3;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.kiln.devstack.process.ChildProcess;
import dev.kiln.devstack.process.JavaCommand;
import dev.kiln.devstack.process.LocalRepository;
import dev.kiln.devstack.process.LoopbackPorts;
import dev.kiln.devstack.process.Polling;
import dev.kiln.devstack.process.WatchedMain;

/**
 * s3proxy (jclouds filesystem backend, SigV2/SigV4 auth) as its own JVM on loopback.
 *
 * <p>
 * A separate process keeps s3proxy's Jetty and jclouds off the classpath of whoever uses the stack.
 */
public final class S3ProxyServer implements AutoCloseable {

    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_HEAP_MEGABYTES = 256;

    private final ChildProcess process;
    private final int port;

    private S3ProxyServer(ChildProcess process, int port) {
        this.process = process;
        this.port = port;
    }

    public static S3ProxyServer start(Path workDir, String accessKey, String secretKey, Duration startTimeout) {
        int port = LoopbackPorts.allocate();
        try {
            Path dataDir = Files.createDirectories(workDir.resolve("data"));
            Path properties = workDir.resolve("s3proxy.properties");
            Files.writeString(properties, String.join("\n",
                    "s3proxy.endpoint=http://" + LoopbackPorts.HOST + ":" + port,
                    "s3proxy.authorization=aws-v2-or-v4",
                    "s3proxy.identity=" + accessKey,
                    "s3proxy.credential=" + secretKey,
                    "jclouds.provider=filesystem",
                    "jclouds.filesystem.basedir=" + dataDir,
                    ""), StandardCharsets.UTF_8);
            Path launcher = JavaCommand.writeLauncherClasses(workDir.resolve("launcher"));
            List<String> command = new ArrayList<>();
            command.add(JavaCommand.javaExecutable().toString());
            command.addAll(JavaCommand.smallJvmOptions(MAX_HEAP_MEGABYTES));
            command.add("-DLOG_LEVEL=warn");
            command.add("-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener");
            command.add("-cp");
            command.add(JavaCommand.classpath(List.of(launcher, locateJar())));
            command.add(WatchedMain.class.getName());
            command.add("org.gaul.s3proxy.Main");
            command.add("--properties");
            command.add(properties.toString());
            ChildProcess process = ChildProcess.start("s3proxy", command, workDir, workDir.resolve("s3proxy.log"));
            try {
                Polling.await("s3proxy on port " + port, startTimeout, process::isAlive, () -> LoopbackPorts.isListening(port));
            } catch (RuntimeException e) {
                String tail = process.logTail(40);
                process.stop(STOP_TIMEOUT);
                throw new IllegalStateException(e.getMessage() + "; s3proxy log:\n" + tail, e);
            }
            return new S3ProxyServer(process, port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The s3proxy {@code jar-with-dependencies}: {@code -Dkiln.devstack.s3proxy-jar}, else the local Maven
     * repository, where the dev-stack build's dependency:copy step puts it.
     */
    static Path locateJar() {
        String explicit = System.getProperty("kiln.devstack.s3proxy-jar");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String version = LocalRepository.buildProperties().getProperty("s3proxy.version");
        Path inRepository = LocalRepository.findArtifact("org.gaul", "s3proxy", version, "jar-with-dependencies");
        if (inRepository != null) {
            return inRepository;
        }
        throw new IllegalStateException("s3proxy-" + version + "-jar-with-dependencies.jar not found in "
                + LocalRepository.candidateRoots() + "; build dev-stack first (mvn -pl dev-stack -am verify)"
                + " or pass -Dkiln.devstack.s3proxy-jar=PATH");
    }

    public int port() {
        return port;
    }

    public String endpoint() {
        return "http://" + LoopbackPorts.HOST + ":" + port;
    }

    public ChildProcess process() {
        return process;
    }

    @Override
    public void close() {
        process.stop(STOP_TIMEOUT);
    }
}
