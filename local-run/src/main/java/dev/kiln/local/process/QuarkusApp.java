package dev.kiln.local.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.jar.JarFile;

import dev.kiln.devstack.process.ChildProcess;
import dev.kiln.devstack.process.JavaCommand;
import dev.kiln.devstack.process.LoopbackPorts;
import dev.kiln.devstack.process.Polling;
import dev.kiln.devstack.process.WatchedMain;

/**
 * A Quarkus application ({@code target/quarkus-app/quarkus-run.jar}) running in its own JVM, started the
 * way the dev stack starts its services: under {@link WatchedMain}, with stdin as the lifeline, so the app
 * exits when this JVM closes the pipe or dies (even by {@code kill -9}).
 *
 * <p>
 * Settings go into {@code
 *
<dir>
 * /config/application.properties}, which Quarkus reads from its working
 * directory with priority over the packaged file; secrets therefore never show on a command line.
 */
public final class QuarkusApp {

    private static final Duration HEALTH_CALL_TIMEOUT = Duration.ofSeconds(2);

    private final String name;
    private final ChildProcess process;
    private final int httpPort;
    private final Path directory;
    private final HttpClient http;

    private QuarkusApp(String name, ChildProcess process, int httpPort, Path directory) {
        this.name = name;
        this.process = process;
        this.httpPort = httpPort;
        this.directory = directory;
        this.http = HttpClient.newBuilder().connectTimeout(HEALTH_CALL_TIMEOUT).build();
    }

    /**
     * Starts the app; returns at once (see {@link #awaitReady}).
     *
     * @param name for logs and errors, e.g. {@code api} or {@code worker-1}
     * @param runJar the app's {@code quarkus-run.jar}
     * @param settings Quarkus properties; {@code quarkus.http.port} is set from {@code httpPort}
     * @param httpPort the HTTP port (health, metrics, and for the API its endpoints)
     * @param directory working directory: holds {@code config/application.properties} and {@code app.log}
     * @param jvmOptions extra JVM flags (heap size, ...)
     */
    public static QuarkusApp start(String name, Path runJar, Map<String, String> settings, int httpPort,
            Path directory, List<String> jvmOptions) {
        if (!Files.isRegularFile(runJar)) {
            throw new IllegalStateException(name + ": " + runJar + " does not exist; build it first with "
                    + "`mvn -B -q -DskipTests install` at the repository root");
        }
        try {
            Files.createDirectories(directory.resolve("config"));
            writeSettings(directory.resolve("config/application.properties"), settings, httpPort);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path launcher = JavaCommand.writeLauncherClasses(directory.resolve("launcher"));
        List<String> command = new ArrayList<>();
        command.add(JavaCommand.javaExecutable().toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(JavaCommand.classpath(List.of(launcher, runJar.toAbsolutePath())));
        command.add(WatchedMain.class.getName());
        command.add(mainClass(runJar));
        Path log = directory.resolve("app.log");
        return new QuarkusApp(name, ChildProcess.start(name, command, directory, log), httpPort, directory);
    }

    /** {@code preferred} when it is free on loopback, else any free port. */
    public static int portPreferring(int preferred) {
        if (preferred > 0 && LoopbackPorts.isFree(preferred)) {
            return preferred;
        }
        return LoopbackPorts.allocate();
    }

    /** Waits until {@code /q/health/ready} answers 200; fails at once if the process exits. */
    public QuarkusApp awaitReady(Duration timeout) {
        try {
            Polling.await(name + " readiness (" + baseUri() + "q/health/ready)", timeout, process::isAlive,
                    this::isReady);
        } catch (RuntimeException e) {
            throw new IllegalStateException(e.getMessage() + "; last lines of " + process.logFile() + ":\n"
                    + process.logTail(40), e);
        }
        return this;
    }

    public boolean isReady() {
        try {
            HttpResponse<Void> response = http.send(HttpRequest.newBuilder(baseUri().resolve("q/health/ready"))
                    .timeout(HEALTH_CALL_TIMEOUT).GET().build(), HttpResponse.BodyHandlers.discarding());
            return response.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** {@code http://127.0.0.1:<port>/}. */
    public URI baseUri() {
        return URI.create("http://" + LoopbackPorts.HOST + ":" + httpPort + "/");
    }

    /** GET {@code /q/metrics} (Prometheus text). */
    public String metrics() {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(baseUri().resolve("q/metrics"))
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException(name + " /q/metrics answered " + response.statusCode());
            }
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException(name + " /q/metrics unreachable", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public String name() {
        return name;
    }

    public int httpPort() {
        return httpPort;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path logFile() {
        return process.logFile();
    }

    public Path directory() {
        return directory;
    }

    public String logTail(int lines) {
        return process.logTail(lines);
    }

    /** Graceful stop: EOF on the lifeline makes the app run its shutdown (finish in-flight work), then TERM/KILL. */
    public void stop(Duration gracefulTimeout) {
        process.stop(gracefulTimeout);
    }

    /** {@code kill -9}: no shutdown hook runs, nothing is committed; returns once the process is gone. */
    public void kill() {
        ProcessHandle handle = process.handle();
        handle.destroyForcibly();
        try {
            handle.onExit().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(name + " (pid " + pid() + ") still alive 30 s after SIGKILL", e);
        }
    }

    @Override
    public String toString() {
        return name + "(pid " + pid() + ", port " + httpPort + ")";
    }

    private static void writeSettings(Path file, Map<String, String> settings, int httpPort) throws IOException {
        Properties properties = new Properties();
        properties.putAll(settings);
        properties.put("quarkus.http.port", Integer.toString(httpPort));
        properties.put("quarkus.http.host", LoopbackPorts.HOST);
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            properties.store(out, "Written by dev.kiln.local for one local run; read by Quarkus from ./config");
        }
        // Holds the admin token and key pepper of a throwaway local system; keep it owner-only anyway.
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: permissions stay as created.
        }
    }

    private static String mainClass(Path runJar) {
        try (JarFile jar = new JarFile(runJar.toFile())) {
            String main = jar.getManifest().getMainAttributes().getValue("Main-Class");
            if (main == null) {
                throw new IllegalStateException(runJar + " has no Main-Class");
            }
            return main;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + runJar, e);
        }
    }
}
