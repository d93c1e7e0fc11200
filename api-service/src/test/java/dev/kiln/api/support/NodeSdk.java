package dev.kiln.api.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The official OpenAI Node SDK (the {@code openai} npm package at the version {@code src/test/node/package-lock.json}
 * pins), installed from the npm registry with {@code npm ci} into a copy of that folder under {@code target/node-sdk},
 * so the source tree stays clean; and the folder's {@code stream-images.mjs}, which iterates one streamed image request
 * with {@code for await} and prints a JSON line per event. Without {@code node} and {@code npm} on the PATH the calling
 * tests are skipped, loudly, unless {@code KILN_REQUIRE_NODE=1} (CI sets it), which makes it a failure.
 */
public final class NodeSdk {
    /** Environment variable that turns a missing node or npm from a skip into a failure. */
    public static final String REQUIRE_ENV = "KILN_REQUIRE_NODE";
    private static final Path SOURCE = Path.of("src/test/node");
    private static final Path WORK_DIR = Path.of("target/node-sdk");
    private static final List<String> FILES = List.of("package.json", "package-lock.json", "stream-images.mjs");
    private static final Duration VERSION_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration STREAM_TIMEOUT = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static NodeSdk instance;
    private static RuntimeException failure;

    private final Path dir;

    private NodeSdk(Path dir) {
        this.dir = dir;
    }

    /**
     * The SDK, installed on first use. Skips the calling test (reported by JUnit as skipped with the reason, and
     * printed once as a banner) when node or npm is missing, or throws when {@link #REQUIRE_ENV} is {@code 1}.
     */
    public static synchronized NodeSdk get() {
        if (failure != null) {
            throw failure;
        }
        if (instance == null) {
            try {
                instance = install();
            } catch (RuntimeException e) {
                // Kept, skip included, so later tests neither print the banner again nor repeat a slow failing install.
                failure = e;
                throw e;
            }
        }
        return instance;
    }

    private static NodeSdk install() {
        assumeInstalled();
        Path dir = WORK_DIR.toAbsolutePath();
        try {
            Files.createDirectories(dir);
            for (String file : FILES) {
                Files.copy(SOURCE.resolve(file), dir.resolve(file), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // --ignore-scripts: nothing from the registry runs at install time.
        Result install = run(List.of("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"), dir,
                INSTALL_TIMEOUT);
        if (install.exitCode() != 0) {
            throw new IllegalStateException("npm ci in " + dir + " exited " + install.exitCode() + ":\n"
                    + install.stdout() + install.stderr());
        }
        return new NodeSdk(dir);
    }

    private static void assumeInstalled() {
        List<String> missing = new ArrayList<>();
        for (String tool : List.of("node", "npm")) {
            if (!runs(tool)) {
                missing.add(tool);
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        String message = "NODE SDK TESTS SKIPPED: " + String.join(" and ", missing) + " not found on the PATH. "
                + "Install Node.js 20+ with npm (the tests fetch the `openai` package from the npm registry); "
                + REQUIRE_ENV + "=1 (as .ci/run sets) makes this a failure.";
        if ("1".equals(System.getenv(REQUIRE_ENV))) {
            throw new IllegalStateException(message.replace("TESTS SKIPPED", "TESTS FAILED"));
        }
        String bar = "!".repeat(100);
        System.err.println("\n" + bar + "\n!!! " + message + "\n" + bar + "\n");
        Assumptions.abort(message);
    }

    private static boolean runs(String tool) {
        try {
            return run(List.of(tool, "--version"), Path.of("target").toAbsolutePath(), VERSION_TIMEOUT).exitCode() == 0;
        } catch (UncheckedIOException e) {
            return false;
        }
    }

    /** Writes a file into the SDK's folder, for the script to read (an edit's input image). */
    public Path file(String name, byte[] bytes) {
        try {
            return Files.write(dir.resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs {@code stream-images.mjs} with these arguments ({@code generate|edit --base-url … --prompt …}) and the key
     * in {@code KILN_API_KEY}, off the command line.
     */
    public Streamed stream(String apiKey, List<String> args) {
        List<String> command = new ArrayList<>(List.of("node", "stream-images.mjs"));
        command.addAll(args);
        Result result = run(command, dir, STREAM_TIMEOUT, Map.of("KILN_API_KEY", apiKey));
        List<JsonNode> lines = new ArrayList<>();
        for (String line : result.stdout().split("\n")) {
            if (!line.isBlank()) {
                try {
                    lines.add(JSON.readTree(line));
                } catch (IOException e) {
                    throw new IllegalStateException("not a JSON line from stream-images.mjs: " + line
                            + "\nstderr:\n" + result.stderr(), e);
                }
            }
        }
        return new Streamed(result.exitCode(), lines, result.stderr());
    }

    /** What {@code stream-images.mjs} printed: one line per event, then a summary, or an error line with it. */
    public record Streamed(int exitCode, List<JsonNode> lines, String stderr) {
        /** The event lines, in the order the SDK yielded them. */
        public List<JsonNode> events() {
            return lines.stream().filter(l -> l.has("type")).toList();
        }

        /** The error the SDK threw, if any. */
        public Optional<JsonNode> error() {
            return lines.stream().filter(l -> l.has("error")).map(l -> l.get("error")).findFirst();
        }

        /** Event counts by type, as the script tallied them. */
        public JsonNode counts() {
            return lines.stream().filter(l -> l.has("summary")).map(l -> l.get("summary").get("events")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no summary line; stderr:\n" + stderr));
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n" + lines + "\nstderr:\n" + stderr;
        }
    }

    private record Result(int exitCode, String stdout, String stderr) {
    }

    private static Result run(List<String> command, Path dir, Duration timeout) {
        return run(command, dir, timeout, Map.of());
    }

    private static Result run(List<String> command, Path dir, Duration timeout, Map<String, String> env) {
        try {
            Path out = Files.createTempFile("kiln-node-", ".out");
            Path err = Files.createTempFile("kiln-node-", ".err");
            try {
                ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                        .redirectOutput(out.toFile()).redirectError(err.toFile());
                // The machine's own OpenAI settings (base URL, organisation, project) must not reach the SDK.
                builder.environment().keySet().removeIf(name -> name.startsWith("OPENAI_"));
                builder.environment().putAll(env);
                Process process = builder.start();
                process.getOutputStream().close();
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                    throw new IllegalStateException(String.join(" ", command) + " still running after " + timeout
                            + ":\n" + Files.readString(out) + Files.readString(err));
                }
                return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
