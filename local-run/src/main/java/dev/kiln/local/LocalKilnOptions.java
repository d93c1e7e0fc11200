package dev.kiln.local;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import dev.kiln.devstack.DevStackConfig;

/**
 * How to run Kiln locally.
 *
 * @param repoDir repository root: {@code api-service/} and {@code gpu-worker/} with their built
 *        {@code target/quarkus-app/quarkus-run.jar}
 * @param workDir per-process directories (settings file, {@code app.log}); emptied at start
 * @param modelDir an SD 1.5 ONNX export for the worker, or null: the worker then serves the repository's
 *        test model ({@link #testModelDir()}, random weights: images are noise) with the dev
 *        flag {@code kiln.worker.allow-test-model}
 * @param preferredApiPort API port if free (8080), else a free one; 0 = always a free one
 * @param preferredWorkerPort first worker's HTTP port if free (8081), else free; 0 = always free
 * @param adminToken the API's admin bearer token for this run
 * @param keyPepper the API's key pepper for this run
 * @param apiSettings extra Quarkus properties for the API (override the defaults)
 * @param workerSettings extra Quarkus properties for every worker
 * @param apiJvmOptions JVM flags of the API process
 * @param workerJvmOptions JVM flags of each worker process
 * @param readyTimeout bound on each app's start until {@code /q/health/ready} is 200
 * @param stack what the dev stack starts
 * @param s3ThroughLink the apps reach S3 through a {@link dev.kiln.local.faults.TcpLink} that
 *        {@link LocalKiln#blockS3()} can cut (fault injection); false = directly
 */
public record LocalKilnOptions(
        Path repoDir,
        Path workDir,
        Path modelDir,
        int preferredApiPort,
        int preferredWorkerPort,
        String adminToken,
        String keyPepper,
        Map<String, String> apiSettings,
        Map<String, String> workerSettings,
        List<String> apiJvmOptions,
        List<String> workerJvmOptions,
        Duration readyTimeout,
        DevStackConfig stack,
        boolean s3ThroughLink) {

    /** Rate tier created for local accounts: generous, so a laptop session or a test suite never hits it. */
    public static final String LOCAL_TIER = "local";
    public static final Duration DEFAULT_READY_TIMEOUT = Duration.ofSeconds(180);

    public LocalKilnOptions {
        Objects.requireNonNull(repoDir, "repoDir");
        Objects.requireNonNull(workDir, "workDir");
        Objects.requireNonNull(adminToken, "adminToken");
        Objects.requireNonNull(keyPepper, "keyPepper");
        apiSettings = Map.copyOf(apiSettings);
        workerSettings = Map.copyOf(workerSettings);
        apiJvmOptions = List.copyOf(apiJvmOptions);
        workerJvmOptions = List.copyOf(workerJvmOptions);
        Objects.requireNonNull(readyTimeout, "readyTimeout");
        Objects.requireNonNull(stack, "stack");
    }

    /** Defaults for a repository checkout: ports 8080/8081 when free, the test model unless {@code modelDir} is set. */
    public static LocalKilnOptions defaults(Path repoDir, Path workDir, Path modelDir, String adminToken, String keyPepper) {
        return new LocalKilnOptions(repoDir, workDir, modelDir, 8080, 8081, adminToken, keyPepper, Map.of(), Map.of(),
                // The lifeline watchdog halts a JVM this long after EOF: cover each app's quarkus.shutdown.timeout
                // (API 30 s, worker 60 s) so a normal stop is graceful (the worker finishes its batch and commits).
                List.of("-Xms64m", "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                        "-Dkiln.devstack.exit-grace-millis=35000"),
                List.of("-Xms64m", "-Xmx1g", "-XX:+UseSerialGC", "-Dkiln.devstack.exit-grace-millis=65000"),
                DEFAULT_READY_TIMEOUT, DevStackConfig.fromSystemProperties(), false);
    }

    public Path apiRunJar() {
        return repoDir.resolve("api-service/target/quarkus-app/quarkus-run.jar");
    }

    public Path workerRunJar() {
        return repoDir.resolve("gpu-worker/target/quarkus-app/quarkus-run.jar");
    }

    /** The diffusers-exported sd-tiny model kept with the library's reference data (random weights). */
    public Path testModelDir() {
        return repoDir.resolve("diffusion/src/test/resources/reference/sd-tiny/model");
    }

    public LocalKilnOptions withPorts(int apiPort, int workerPort) {
        return new LocalKilnOptions(repoDir, workDir, modelDir, apiPort, workerPort, adminToken, keyPepper, apiSettings,
                workerSettings, apiJvmOptions, workerJvmOptions, readyTimeout, stack, s3ThroughLink);
    }

    public LocalKilnOptions withApiSettings(Map<String, String> value) {
        return new LocalKilnOptions(repoDir, workDir, modelDir, preferredApiPort, preferredWorkerPort, adminToken,
                keyPepper, merged(apiSettings, value), workerSettings, apiJvmOptions, workerJvmOptions, readyTimeout, stack,
                s3ThroughLink);
    }

    public LocalKilnOptions withWorkerSettings(Map<String, String> value) {
        return new LocalKilnOptions(repoDir, workDir, modelDir, preferredApiPort, preferredWorkerPort, adminToken,
                keyPepper, apiSettings, merged(workerSettings, value), apiJvmOptions, workerJvmOptions, readyTimeout, stack,
                s3ThroughLink);
    }

    public LocalKilnOptions withStack(DevStackConfig value) {
        return new LocalKilnOptions(repoDir, workDir, modelDir, preferredApiPort, preferredWorkerPort, adminToken,
                keyPepper, apiSettings, workerSettings, apiJvmOptions, workerJvmOptions, readyTimeout, value,
                s3ThroughLink);
    }

    /** The same options with the apps' S3 traffic routed through a link that can be cut. */
    public LocalKilnOptions withS3ThroughLink() {
        return new LocalKilnOptions(repoDir, workDir, modelDir, preferredApiPort, preferredWorkerPort, adminToken,
                keyPepper, apiSettings, workerSettings, apiJvmOptions, workerJvmOptions, readyTimeout, stack, true);
    }

    /**
     * The repository root: {@code kiln.repo.dir} (set by Maven from {@code maven.multiModuleProjectDirectory})
     * when it holds {@code api-service/}, else the first of the working directory and its parents that does.
     */
    public static Path locateRepoDir() {
        String configured = System.getProperty("kiln.repo.dir");
        if (configured != null && !configured.isBlank() && isRepoRoot(Path.of(configured))) {
            return Path.of(configured).toAbsolutePath().normalize();
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (isRepoRoot(dir)) {
                return dir;
            }
        }
        throw new IllegalStateException("cannot find the Kiln repository root (a directory with api-service/ and "
                + "gpu-worker/); run from the checkout or pass -Dkiln.repo.dir=/path/to/kiln");
    }

    private static boolean isRepoRoot(Path dir) {
        return Files.isDirectory(dir.resolve("api-service")) && Files.isDirectory(dir.resolve("gpu-worker"));
    }

    private static Map<String, String> merged(Map<String, String> base, Map<String, String> extra) {
        Map<String, String> m = new LinkedHashMap<>(base);
        m.putAll(extra);
        return m;
    }
}
