package dev.kiln.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import dev.kiln.devstack.process.Polling;

/**
 * The one command, run as a real process: it prints a usable key, and when it is killed with SIGKILL (no
 * shutdown hook runs) every process it started — Kafka, Redis, S3, API, worker — still exits.
 */
@Order(100)
class RunKilnNoOrphansTest {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(300);
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(90);

    @Test
    void killingTheLauncherWithSigkillLeavesNoProcessBehind() throws Exception {
        Path workDir = Path.of(System.getProperty("kiln.e2e.work-dir", "target/e2e")).resolveSibling("e2e-launcher")
                .toAbsolutePath();
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                "-Dkiln.repo.dir=" + LocalKilnOptions.locateRepoDir(),
                "-Dkiln.local.work-dir=" + workDir,
                "-Dkiln.local.api-port=0", "-Dkiln.local.worker-port=0",
                RunKiln.class.getName());
        Process launcher = new ProcessBuilder(command).redirectErrorStream(true).start();
        AtomicBoolean running = new AtomicBoolean();
        StringBuilder output = new StringBuilder();
        Thread reader = new Thread(() -> readLines(launcher, output, running), "launcher-output");
        reader.setDaemon(true);
        reader.start();
        try {
            Polling.await("launcher prints 'Kiln is running'", START_TIMEOUT, launcher::isAlive, running::get);
        } catch (RuntimeException e) {
            launcher.destroyForcibly();
            throw new AssertionError(e.getMessage() + "\n" + snapshot(output), e);
        }
        List<ProcessHandle> started = new ArrayList<>(launcher.descendants().toList());
        assertThat(snapshot(output)).contains("API key:                kiln_sk_local_")
                .containsPattern("Playground: +http://[^ ]+/playground/");
        assertThat(started).as("stack services, API and worker").hasSizeGreaterThanOrEqualTo(5);

        launcher.toHandle().destroyForcibly();
        launcher.onExit().get(30, TimeUnit.SECONDS);

        CompletableFuture<?>[] exits = started.stream().map(ProcessHandle::onExit).toArray(CompletableFuture[]::new);
        CompletableFuture.allOf(exits).get(EXIT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertThat(started).noneMatch(ProcessHandle::isAlive);
    }

    private static String snapshot(StringBuilder output) {
        synchronized (output) {
            return output.toString();
        }
    }

    private static void readLines(Process process, StringBuilder output, AtomicBoolean running) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null;) {
                synchronized (output) {
                    output.append(line).append('\n');
                }
                if (line.startsWith("==== Kiln is running")) {
                    running.set(true);
                }
            }
        } catch (IOException e) {
            // The launcher was killed: its output simply ends.
        }
    }
}
