package dev.kiln.devstack.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

import dev.kiln.devstack.DevStack;
import dev.kiln.devstack.DevStackConfig;
import dev.kiln.devstack.Flavour;
import dev.kiln.devstack.S3Settings;
import dev.kiln.devstack.kafka.KafkaBroker;
import dev.kiln.devstack.process.ExitedBeforeReadyException;
import dev.kiln.devstack.redis.RedisServer;
import dev.kiln.devstack.s3.Buckets;
import dev.kiln.devstack.s3.S3ProxyServer;

/**
 * The processes flavour: Kafka, Redis and s3proxy as child processes of this JVM.
 *
 * <p>
 * The three start in parallel (the two JVMs dominate start time on small machines).
 */
public final class ProcessDevStack implements DevStack {

    private static final System.Logger LOG = System.getLogger(ProcessDevStack.class.getName());
    private static final int START_ATTEMPTS = 3;

    private final DevStackConfig config;
    private final Path workDir;
    private final boolean ownsWorkDir;
    private final KafkaBroker kafka;
    private final RedisServer redis;
    private final S3ProxyServer s3proxy;
    private final Thread shutdownHook;
    private boolean closed;

    private ProcessDevStack(DevStackConfig config, Path workDir, boolean ownsWorkDir, KafkaBroker kafka,
            RedisServer redis, S3ProxyServer s3proxy) {
        this.config = config;
        this.workDir = workDir;
        this.ownsWorkDir = ownsWorkDir;
        this.kafka = kafka;
        this.redis = redis;
        this.s3proxy = s3proxy;
        this.shutdownHook = new Thread(this::close, "kiln-dev-stack-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    public static ProcessDevStack start(DevStackConfig config) {
        boolean ownsWorkDir = config.workDir() == null;
        Path workDir;
        try {
            if (ownsWorkDir) {
                Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
                AbandonedWorkDirs.deleteAbandoned(tmp);
                workDir = AbandonedWorkDirs.createOwned(tmp);
            } else {
                workDir = Files.createDirectories(config.workDir());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // Not the common pool: on a 2-core machine it has one thread, which would start the services in turn.
        ExecutorService starter = Executors.newFixedThreadPool(3, runnable -> {
            Thread thread = new Thread(runnable, "kiln-dev-stack-start");
            thread.setDaemon(true);
            return thread;
        });
        try {
            CompletableFuture<KafkaBroker> kafka = CompletableFuture.supplyAsync(() -> retryOnEarlyExit(
                    workDir.resolve("kafka"), dir -> KafkaBroker.start(dir, config.topicPartitions(),
                            config.kafkaMaxHeapMegabytes(), config.startTimeout())),
                    starter);
            CompletableFuture<RedisServer> redis = CompletableFuture.supplyAsync(() -> retryOnEarlyExit(
                    workDir.resolve("redis"), dir -> RedisServer.start(dir, config.startTimeout())), starter);
            CompletableFuture<S3ProxyServer> s3proxy = CompletableFuture.supplyAsync(() -> {
                S3ProxyServer server = retryOnEarlyExit(workDir.resolve("s3"), dir -> S3ProxyServer.start(dir,
                        config.s3AccessKey(), config.s3SecretKey(), config.startTimeout()));
                try {
                    Buckets.ensureExists(s3Settings(server, config), config.startTimeout());
                } catch (RuntimeException e) {
                    server.close();
                    throw e;
                }
                return server;
            }, starter);
            try {
                CompletableFuture.allOf(kafka, redis, s3proxy).join();
            } catch (RuntimeException e) {
                // Stop whatever did start before reporting the first failure.
                for (CompletableFuture<? extends AutoCloseable> service : List.of(kafka, redis, s3proxy)) {
                    try {
                        closeQuietly(service.join());
                    } catch (RuntimeException failedToStart) {
                        // Nothing of this one to stop.
                    }
                }
                if (ownsWorkDir) {
                    deleteRecursively(workDir);
                }
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                throw new IllegalStateException("dev stack did not start: " + cause.getMessage(), cause);
            }
            return new ProcessDevStack(config, workDir, ownsWorkDir, kafka.join(), redis.join(), s3proxy.join());
        } finally {
            starter.shutdown();
        }
    }

    @Override
    public Flavour flavour() {
        return Flavour.PROCESSES;
    }

    @Override
    public String kafkaBootstrapServers() {
        return kafka.bootstrapServers();
    }

    @Override
    public String redisUri() {
        return redis.uri();
    }

    @Override
    public S3Settings s3() {
        return s3Settings(s3proxy, config);
    }

    @Override
    public Map<String, Integer> topics() {
        return config.topicPartitions();
    }

    @Override
    public void restartRedis() {
        redis.restart();
    }

    @Override
    public void restartRedisFromAof() {
        redis.killAndRestartFromAof();
    }

    @Override
    public void restartKafka() {
        kafka.restart();
    }

    @Override
    public List<ProcessHandle> processes() {
        List<ProcessHandle> handles = new ArrayList<>();
        for (var process : List.of(kafka.process(), redis.process(), s3proxy.process())) {
            handles.add(process.handle());
            process.handle().descendants().forEach(handles::add);
        }
        return handles;
    }

    /** Ports the services listen on: Kafka (client, controller), Redis, S3. */
    public List<Integer> ports() {
        return List.of(kafka.port(), kafka.controllerPort(), redis.port(), s3proxy.port());
    }

    public Path workDir() {
        return workDir;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // Already shutting down: this call is the hook itself.
        }
        // In parallel: each service may take a few seconds to stop gracefully.
        List<Thread> stoppers = new ArrayList<>();
        for (AutoCloseable service : List.<AutoCloseable> of(kafka, redis, s3proxy)) {
            Thread stopper = new Thread(() -> closeQuietly(service), "kiln-dev-stack-stop");
            stopper.start();
            stoppers.add(stopper);
        }
        for (Thread stopper : stoppers) {
            try {
                stopper.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (ownsWorkDir) {
            deleteRecursively(workDir);
        }
    }

    /**
     * Ports are picked free but bound later by the child, so a process running in parallel (other builds on
     * the same machine) can take one first; the service then dies at once, and a retry picks new ports.
     */
    private static <T> T retryOnEarlyExit(Path serviceDir, Function<Path, T> start) {
        RuntimeException first = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            try {
                return start.apply(serviceDir);
            } catch (RuntimeException e) {
                if (!ExitedBeforeReadyException.causedBy(e)) {
                    throw e;
                }
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
                LOG.log(Level.WARNING, "service in " + serviceDir + " exited while starting (attempt " + attempt + " of "
                        + START_ATTEMPTS + "): " + e.getMessage());
                deleteRecursively(serviceDir);
            }
        }
        throw first;
    }

    private static S3Settings s3Settings(S3ProxyServer server, DevStackConfig config) {
        return new S3Settings(server.endpoint(), config.s3AccessKey(), config.s3SecretKey(), config.bucket());
    }

    private static void closeQuietly(AutoCloseable service) {
        try {
            service.close();
        } catch (Exception e) {
            LOG.log(Level.WARNING, "stopping " + service + " failed", e);
        }
    }

    static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot delete dev-stack work dir " + root, e);
        }
    }
}
