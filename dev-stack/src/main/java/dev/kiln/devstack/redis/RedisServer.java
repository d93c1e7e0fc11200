package dev.kiln.devstack.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;

import dev.kiln.devstack.process.ChildProcess;
import dev.kiln.devstack.process.LoopbackPorts;
import dev.kiln.devstack.process.Polling;

/**
 * {@code redis-server} on a loopback port under the stdin watchdog wrapper, configured the way Kiln
 * requires its Redis to be in production (docs/architecture.md, "Durability"): append-only file fsynced
 * every second, no RDB snapshots, and {@code noeviction} so a full Redis refuses writes instead of
 * silently dropping wallets or job records. {@link #killAndRestartFromAof()} crashes it and brings it back
 * from the AOF.
 */
public final class RedisServer implements AutoCloseable {

    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final int PING_TIMEOUT_MILLIS = 1_000;

    private final Path workDir;
    private final Path binary;
    private final Path wrapper;
    private final int port;
    private final Duration startTimeout;
    private ChildProcess process;

    private RedisServer(Path workDir, Path binary, Path wrapper, int port, Duration startTimeout) {
        this.workDir = workDir;
        this.binary = binary;
        this.wrapper = wrapper;
        this.port = port;
        this.startTimeout = startTimeout;
    }

    public static RedisServer start(Path workDir, Duration startTimeout) {
        try {
            Files.createDirectories(workDir.resolve("data"));
            Path wrapper = workDir.resolve("watchdog.sh");
            try (InputStream in = RedisServer.class.getResourceAsStream("/dev/kiln/devstack/redis/watchdog.sh")) {
                if (in == null) {
                    throw new IllegalStateException("missing resource watchdog.sh");
                }
                Files.copy(in, wrapper, StandardCopyOption.REPLACE_EXISTING);
            }
            RedisServer server = new RedisServer(workDir, RedisBinary.locate(workDir.resolve("bin")), wrapper,
                    LoopbackPorts.allocate(), startTimeout);
            server.startProcess();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Stops the server (SIGTERM: it flushes and fsyncs its append-only file) and starts it again on the
     * same port and data directory, so it comes back with its data replayed from the AOF, as a production
     * Redis does after a restart.
     */
    public synchronized void restart() {
        process.stop(STOP_TIMEOUT);
        awaitPortReleased();
        startProcess();
    }

    /**
     * {@code kill -9} of the server, then a new one on the same port and data directory: it loads the
     * append-only file, so it holds every write the old one had answered (the AOF is written before the
     * reply; {@code everysec} only bounds what a machine crash, not a process crash, can lose).
     */
    public synchronized void killAndRestartFromAof() {
        process.kill();
        awaitPortReleased();
        startProcess();
    }

    /** Stops the server without starting it again; {@link #restart()} brings it back. */
    public synchronized void stop() {
        process.stop(STOP_TIMEOUT);
    }

    private synchronized void startProcess() {
        List<String> command = List.of("/bin/sh", wrapper.toString(),
                binary.toString(),
                "--port", Integer.toString(port),
                "--bind", LoopbackPorts.HOST,
                "--protected-mode", "no",
                "--daemonize", "no",
                // Production durability settings; the data dir lives in the stack's work dir.
                "--save", "",
                "--appendonly", "yes",
                "--appendfsync", "everysec",
                "--maxmemory-policy", "noeviction",
                "--dir", workDir.resolve("data").toString());
        ChildProcess started = ChildProcess.start("redis", command, workDir, workDir.resolve("redis.log"));
        try {
            Polling.await("redis on port " + port, startTimeout, started::isAlive, () -> answersPing(port));
        } catch (RuntimeException e) {
            String tail = started.logTail(20);
            started.stop(STOP_TIMEOUT);
            throw new IllegalStateException(e.getMessage() + "; redis log:\n" + tail, e);
        }
        process = started;
    }

    private void awaitPortReleased() {
        Polling.await("redis port " + port + " to be released", startTimeout, () -> true, () -> LoopbackPorts.isFree(port));
    }

    /** True when a Redis on the loopback port answers PING within a second. */
    public static boolean answersPing(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(LoopbackPorts.loopback(), port), PING_TIMEOUT_MILLIS);
            socket.setSoTimeout(PING_TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] reply = socket.getInputStream().readNBytes(7);
            return new String(reply, StandardCharsets.US_ASCII).equals("+PONG\r\n");
        } catch (IOException e) {
            return false;
        }
    }

    public int port() {
        return port;
    }

    public String uri() {
        return "redis://" + LoopbackPorts.HOST + ":" + port;
    }

    public Path binary() {
        return binary;
    }

    public synchronized ChildProcess process() {
        return process;
    }

    @Override
    public synchronized void close() {
        process.stop(STOP_TIMEOUT);
    }
}
