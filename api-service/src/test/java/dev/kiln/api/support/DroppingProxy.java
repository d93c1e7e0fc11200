package dev.kiln.api.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy in front of the API that can lose responses: for the next {@link #dropResponses} connections
 * it forwards the request, lets the API answer in full, then closes the client's connection without a
 * byte of the answer, as a network failure after admission would.
 */
public final class DroppingProxy implements AutoCloseable {
    private final ServerSocket server;
    private final URI target;
    private final AtomicInteger toDrop = new AtomicInteger();
    private final AtomicInteger dropped = new AtomicInteger();

    public DroppingProxy(URI target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "dropping-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The proxy's base URL with the target's path. */
    public String url() {
        return "http://127.0.0.1:" + server.getLocalPort() + target.getPath();
    }

    /** Loses the answers of the next {@code connections} connections. */
    public void dropResponses(int connections) {
        toDrop.set(connections);
    }

    /** Answers lost so far. */
    public int dropped() {
        return dropped.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                boolean drop = toDrop.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
                Socket upstream = new Socket(target.getHost(), target.getPort());
                pump(client.getInputStream(), upstream.getOutputStream(), upstream, null);
                pump(upstream.getInputStream(), client.getOutputStream(), client, drop ? client : null);
            } catch (IOException e) {
                return;
            }
        }
    }

    /**
     * Copies until end of stream, then closes {@code closeAtEnd}. With {@code dropInto} set, the bytes are
     * read but not written, and the client is closed once the first of them arrived and the rest drained.
     */
    private void pump(InputStream in, OutputStream out, Socket closeAtEnd, Socket dropInto) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try (closeAtEnd) {
                int read;
                while ((read = in.read(buffer)) >= 0) {
                    if (dropInto != null) {
                        dropped.incrementAndGet();
                        return;
                    }
                    out.write(buffer, 0, read);
                    out.flush();
                }
            } catch (IOException ignored) {
                // The other side closed: nothing more to copy.
            }
        }, "dropping-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
