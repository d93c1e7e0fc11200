package dev.kiln.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import dev.kiln.devstack.DevStack;
import dev.kiln.devstack.process.LoopbackPorts;
import dev.kiln.devstack.process.Polling;
import dev.kiln.local.admin.AdminClient;
import dev.kiln.local.admin.LocalAccount;
import dev.kiln.local.faults.TcpLink;
import dev.kiln.local.process.QuarkusApp;

/**
 * Kiln running on this machine: the dev stack (Kafka, Redis, S3 as child processes), the API and any number of
 * workers, each a separate JVM launched from its built {@code quarkus-app}. Used by {@link RunKiln} and by the
 * end-to-end tests, so the tests exercise exactly what a developer runs.
 *
 * <p>
 * Every process dies with this JVM (stdin lifeline, see docs/dev-stack.md); {@link #close()} stops them in
 * order: workers (graceful: finish the batch in hand), API, then the stack.
 */
public final class LocalKiln implements AutoCloseable {

    /** The API's default model id ({@code kiln.api.default-model}), which the local run serves and prices. */
    public static final String MODEL_ID = "runwayml/stable-diffusion-v1-5-img2img";

    /** Beyond the worker's own shutdown bound (quarkus.shutdown.timeout, 60 s): only then TERM, then KILL. */
    private static final Duration WORKER_STOP_GRACE = Duration.ofSeconds(70);
    private static final Duration API_STOP_GRACE = Duration.ofSeconds(40);

    private final LocalKilnOptions options;
    private final DevStack stack;
    private final List<QuarkusApp> apis = new CopyOnWriteArrayList<>();
    private final List<QuarkusApp> workers = new CopyOnWriteArrayList<>();
    private final AtomicInteger workerSequence = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final int apiAdminPort;
    private final TcpLink s3Link;
    private volatile QuarkusApp api;

    private LocalKiln(LocalKilnOptions options, DevStack stack) {
        this.options = options;
        this.stack = stack;
        this.s3Link = options.s3ThroughLink() ? s3LinkTo(stack) : null;
        // The admin API has a port of its own (kiln.api.admin.port): 8082 beside the usual 8080 when free.
        this.apiAdminPort = QuarkusApp.portPreferring(options.preferredApiPort() == 8080 ? 8082 : 0);
        this.api = launchApi("api", options.preferredApiPort(), adminPortSetting());
    }

    /** Starts the stack, the API and {@code workerCount} workers; returns when all are ready. */
    public static LocalKiln start(LocalKilnOptions options, int workerCount) {
        requireBuilt(options, workerCount > 0);
        cleanWorkDir(options.workDir());
        DevStack stack = DevStack.start(options.stack());
        LocalKiln kiln;
        try {
            kiln = new LocalKiln(options, stack);
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
        try {
            List<QuarkusApp> started = new ArrayList<>();
            for (int i = 0; i < workerCount; i++) {
                started.add(kiln.launchWorker(Map.of()));
            }
            kiln.api.awaitReady(options.readyTimeout());
            started.forEach(worker -> worker.awaitReady(options.readyTimeout()));
            return kiln;
        } catch (RuntimeException e) {
            kiln.close();
            throw e;
        }
    }

    public DevStack stack() {
        return stack;
    }

    public LocalKilnOptions options() {
        return options;
    }

    /** The API started with the system (after {@link #restartApi()}, its replacement). */
    public QuarkusApp api() {
        return api;
    }

    /** {@code kill -9} of the API started with the system: requests in flight get no answer. */
    public void killApi() {
        QuarkusApp doomed = api;
        apis.remove(doomed);
        doomed.kill();
    }

    /**
     * Starts the API again on the port and with the settings it had (after {@link #killApi()}, or stopping
     * it first if it still runs), and waits until it is ready.
     */
    public QuarkusApp restartApi() {
        QuarkusApp previous = api;
        if (previous.isAlive()) {
            stopApi(previous);
        }
        apis.remove(previous);
        Polling.await("API port " + previous.httpPort() + " to be released", options.readyTimeout(), () -> true,
                () -> LoopbackPorts.isFree(previous.httpPort()));
        QuarkusApp restarted = launchApi(previous.name(), previous.httpPort(), adminPortSetting());
        api = restarted;
        return restarted.awaitReady(options.readyTimeout());
    }

    /**
     * Cuts the apps' S3 link (open connections reset, new ones refused) until {@link #unblockS3()}; needs
     * {@link LocalKilnOptions#withS3ThroughLink()}.
     */
    public void blockS3() {
        requireS3Link().cut();
    }

    public void unblockS3() {
        requireS3Link().restore();
    }

    /** {@code http://127.0.0.1:<port>/v1}, what an OpenAI SDK takes as base URL. */
    public URI openAiBaseUrl() {
        return api.baseUri().resolve("v1");
    }

    /** {@code http://127.0.0.1:<port>/playground/}, the browser page that calls the API with a pasted key. */
    public URI playgroundUrl() {
        return api.baseUri().resolve("playground/");
    }

    /** {@code http://127.0.0.1:<admin port>/}: the API's admin port, where {@code /admin/v1} is served. */
    public URI adminBaseUri() {
        return URI.create("http://" + api.baseUri().getHost() + ":" + apiAdminPort + "/");
    }

    public AdminClient admin() {
        return new AdminClient(adminBaseUri(), options.adminToken());
    }

    /** A pay-as-you-go account on the generous local tier, with an API key and {@code grossTopUpMicros} paid in. */
    public LocalAccount createAccount(String accountId, long grossTopUpMicros) {
        return admin().createFundedAccount(accountId, LocalKilnOptions.LOCAL_TIER, grossTopUpMicros);
    }

    /** Workers currently running (started and not stopped or killed), oldest first. */
    public List<QuarkusApp> workers() {
        return List.copyOf(workers);
    }

    /** Starts one more worker and waits until it is ready. */
    public QuarkusApp startWorker() {
        return startWorker(Map.of());
    }

    /** Starts one more worker with extra settings and waits until it is ready. */
    public QuarkusApp startWorker(Map<String, String> extraSettings) {
        return launchWorker(extraSettings).awaitReady(options.readyTimeout());
    }

    /** Stops a worker gracefully: it stops fetching, finishes its batch, commits and exits. */
    public void stopWorker(QuarkusApp worker) {
        workers.remove(worker);
        worker.stop(WORKER_STOP_GRACE);
    }

    /** {@code kill -9} of a worker: no shutdown, no commit, whatever batch it had in hand is interrupted. */
    public void killWorker(QuarkusApp worker) {
        workers.remove(worker);
        worker.kill();
    }

    /** Stops or starts workers until exactly {@code count} run. */
    public void ensureWorkers(int count) {
        while (workers.size() > count) {
            stopWorker(workers.get(workers.size() - 1));
        }
        List<QuarkusApp> started = new ArrayList<>();
        while (workers.size() < count) {
            started.add(launchWorker(Map.of()));
        }
        started.forEach(worker -> worker.awaitReady(options.readyTimeout()));
    }

    /**
     * Starts another API instance on the same stack with extra settings (e.g. a short job deadline), on a free
     * port; it is stopped by {@link #close()} or {@link #stopApi}.
     */
    public QuarkusApp startExtraApi(String name, Map<String, String> extraSettings) {
        return launchApi(name, 0, extraSettings).awaitReady(options.readyTimeout());
    }

    public void stopApi(QuarkusApp extraApi) {
        apis.remove(extraApi);
        extraApi.stop(API_STOP_GRACE);
    }

    /** Settings the API gets: the stack's {@code kafka.*} and {@code kiln.api.*}, the run's secrets, a local tier. */
    public Map<String, String> apiSettings() {
        Map<String, String> settings = new LinkedHashMap<>();
        stackSettings().forEach((key, value) -> {
            if (key.startsWith("kafka.") || key.startsWith("kiln.api.")) {
                settings.put(key, value);
            }
        });
        settings.put("kiln.api.admin-token", options.adminToken());
        settings.put("kiln.api.key-pepper", options.keyPepper());
        settings.put("kiln.api.tiers." + LocalKilnOptions.LOCAL_TIER + ".requests-per-minute", "100000");
        settings.put("kiln.api.tiers." + LocalKilnOptions.LOCAL_TIER + ".images-per-minute", "1000000");
        settings.put("quarkus.log.console.json.enabled", "false");
        settings.putAll(options.apiSettings());
        return settings;
    }

    /**
     * Settings every worker gets: the stack's {@code kafka.*} and {@code kiln.worker.*}, and the model (the repository's test
     * model, flagged as such, unless one is given).
     */
    public Map<String, String> workerSettings() {
        Map<String, String> settings = new LinkedHashMap<>();
        stackSettings().forEach((key, value) -> {
            if (key.startsWith("kafka.") || key.startsWith("kiln.worker.")) {
                settings.put(key, value);
            }
        });
        if (options.modelDir() != null) {
            settings.put("kiln.worker.model-dir", options.modelDir().toAbsolutePath().toString());
        } else {
            settings.put("kiln.worker.model-dir", options.testModelDir().toAbsolutePath().toString());
            settings.put("kiln.worker.allow-test-model", "true");
        }
        settings.put("quarkus.log.console.json.enabled", "false");
        settings.putAll(options.workerSettings());
        return settings;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        RuntimeException failure = null;
        for (QuarkusApp worker : List.copyOf(workers)) {
            failure = attempt(() -> stopWorker(worker), failure);
        }
        for (QuarkusApp app : List.copyOf(apis)) {
            failure = attempt(() -> stopApi(app), failure);
        }
        if (s3Link != null) {
            failure = attempt(s3Link::close, failure);
        }
        failure = attempt(stack::close, failure);
        if (failure != null) {
            throw failure;
        }
    }

    private Map<String, String> adminPortSetting() {
        return Map.of("kiln.api.admin.port", Integer.toString(apiAdminPort));
    }

    /** The stack's settings, with the S3 endpoint replaced by the link's when there is one. */
    private Map<String, String> stackSettings() {
        Map<String, String> settings = new LinkedHashMap<>(stack.settings());
        if (s3Link != null) {
            settings.replaceAll((key, value) -> key.endsWith(".s3.endpoint") ? s3Link.endpointFor(value) : value);
        }
        return settings;
    }

    private TcpLink requireS3Link() {
        if (s3Link == null) {
            throw new IllegalStateException("S3 is not behind a link: start with LocalKilnOptions.withS3ThroughLink()");
        }
        return s3Link;
    }

    private static TcpLink s3LinkTo(DevStack stack) {
        URI endpoint = URI.create(stack.s3().endpoint());
        return TcpLink.to(endpoint.getHost(), endpoint.getPort());
    }

    private QuarkusApp launchApi(String name, int preferredPort, Map<String, String> extraSettings) {
        Map<String, String> settings = apiSettings();
        // Extra instances: any free admin port (the caller's settings may still name one).
        settings.put("kiln.api.admin.port", "0");
        settings.putAll(extraSettings);
        QuarkusApp app = QuarkusApp.start(name, options.apiRunJar(), settings, QuarkusApp.portPreferring(preferredPort),
                options.workDir().resolve(name), options.apiJvmOptions());
        apis.add(app);
        return app;
    }

    private QuarkusApp launchWorker(Map<String, String> extraSettings) {
        int sequence = workerSequence.incrementAndGet();
        String name = "worker-" + sequence;
        Map<String, String> settings = workerSettings();
        settings.putAll(extraSettings);
        int preferredPort = sequence == 1 ? options.preferredWorkerPort() : 0;
        QuarkusApp app = QuarkusApp.start(name, options.workerRunJar(), settings, QuarkusApp.portPreferring(preferredPort),
                options.workDir().resolve(name), options.workerJvmOptions());
        workers.add(app);
        return app;
    }

    private static void requireBuilt(LocalKilnOptions options, boolean withWorkers) {
        List<String> missing = new ArrayList<>();
        for (Path jar : withWorkers ? List.of(options.apiRunJar(), options.workerRunJar()) : List.of(options.apiRunJar())) {
            if (!Files.isRegularFile(jar)) {
                missing.add(jar.toString());
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("not built: " + missing + ". Run `mvn -B -q -DskipTests install` in "
                    + options.repoDir() + " first.");
        }
    }

    private static void cleanWorkDir(Path workDir) {
        try {
            if (Files.exists(workDir)) {
                try (Stream<Path> paths = Files.walk(workDir)) {
                    for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(path);
                    }
                }
            }
            Files.createDirectories(workDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + workDir, e);
        }
    }

    private static RuntimeException attempt(Runnable action, RuntimeException earlier) {
        try {
            action.run();
            return earlier;
        } catch (RuntimeException e) {
            if (earlier != null) {
                earlier.addSuppressed(e);
                return earlier;
            }
            return e;
        }
    }
}
