package dev.kiln.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.kiln.devstack.process.LoopbackPorts;

/**
 * kill -9 of a JVM that started the stack must not orphan its services: a child JVM runs DevStackMain,
 * is killed with SIGKILL, and its grandchildren must exit on their own (the stdin watchdogs).
 */
class OrphanPreventionTest {

    private static final long READY_TIMEOUT_SECONDS = 180;
    private static final long EXIT_TIMEOUT_SECONDS = 60;

    private static final Map<String, String> printedSettings = new LinkedHashMap<>();
    private static final List<ProcessHandle> grandchildren = new ArrayList<>();
    private static final List<ProcessHandle> stillAliveAfterTimeout = new ArrayList<>();
    private static final List<String> output = new ArrayList<>();

    @BeforeAll
    static void startStackInChildJvmThenKillIt() throws Exception {
        Process parent = new ProcessBuilder(javaCommand()).redirectErrorStream(true).start();
        try {
            CompletableFuture<Void> ready = CompletableFuture.runAsync(() -> readUntilReady(parent));
            try {
                ready.get(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                throw new AssertionError("DevStackMain did not print " + DevStackMain.READY + "; output:\n"
                        + String.join("\n", snapshotOutput()), e);
            }
            parent.toHandle().descendants().forEach(grandchildren::add);
        } finally {
            parent.destroyForcibly(); // SIGKILL: no shutdown hook runs in the parent.
            parent.onExit().get(EXIT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        for (ProcessHandle grandchild : grandchildren) {
            try {
                grandchild.onExit().get(EXIT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                stillAliveAfterTimeout.add(grandchild);
            }
        }
    }

    @AfterAll
    static void killLeftovers() {
        // Only if the test failed: do not leave services running on the build machine.
        stillAliveAfterTimeout.forEach(ProcessHandle::destroyForcibly);
    }

    @Test
    void everyServiceProcessExitsAfterItsParentIsKilled() {
        assertThat(grandchildren).as("service processes seen under DevStackMain").hasSizeGreaterThanOrEqualTo(4);
        assertThat(stillAliveAfterTimeout).as("still alive %d s after kill -9 of their parent", EXIT_TIMEOUT_SECONDS)
                .isEmpty();
    }

    @Test
    void everyPrintedServicePortIsFreeAfterItsParentIsKilled() {
        List<Integer> ports = new ArrayList<>();
        ports.add(port(URI.create("kafka://" + printedSettings.get("kafka.bootstrap.servers"))));
        ports.add(port(URI.create(printedSettings.get("kiln.api.redis.uri"))));
        ports.add(port(URI.create(printedSettings.get("kiln.api.s3.endpoint"))));
        assertThat(ports).allSatisfy(port -> assertThat(LoopbackPorts.isFree(port)).as("port %d free", port).isTrue());
    }

    private static int port(URI uri) {
        assertThat(uri.getPort()).as("port in %s", uri).isPositive();
        return uri.getPort();
    }

    private static void readUntilReady(Process process) {
        try {
            BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = reader.readLine()) != null) {
                synchronized (output) {
                    output.add(line);
                }
                int equals = line.indexOf('=');
                if (equals > 0 && !line.startsWith("#")) {
                    printedSettings.put(line.substring(0, equals), line.substring(equals + 1));
                }
                if (line.equals(DevStackMain.READY)) {
                    return;
                }
            }
            throw new IllegalStateException("DevStackMain exited before it was ready");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> snapshotOutput() {
        synchronized (output) {
            return new ArrayList<>(output);
        }
    }

    private static List<String> javaCommand() {
        // Surefire runs tests from a manifest-only jar; this property holds the real test classpath.
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC",
                "-D" + Flavour.SWITCH + "=processes",
                "-cp", classpath,
                DevStackMain.class.getName());
    }
}
