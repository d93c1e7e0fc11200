package dev.kiln.local.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.kiln.devstack.process.LoopbackPorts;

/**
 * A TCP link on a loopback port in front of one backend (s3proxy), which can be cut and restored like a
 * network outage: while cut, open connections are reset and new ones are accepted and reset at once. The
 * listening port never changes, so clients reconnect to the same address once it is restored.
 */
public final class TcpLink implements AutoCloseable {

    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    private static final int BUFFER_BYTES = 16 * 1024;

    private final InetSocketAddress target;
    private final ServerSocket server;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean cut;

    private TcpLink(InetSocketAddress target, ServerSocket server) {
        this.target = target;
        this.server = server;
    }

    /** A link to {@code host:port}, listening on a free loopback port. */
    public static TcpLink to(String host, int port) {
        try {
            ServerSocket server = new ServerSocket(0, 50, LoopbackPorts.loopback());
            TcpLink link = new TcpLink(new InetSocketAddress(host, port), server);
            Thread acceptor = new Thread(link::acceptLoop, "tcp-link-" + port);
            acceptor.setDaemon(true);
            acceptor.start();
            return link;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a link to " + host + ":" + port, e);
        }
    }

    /** {@code endpoint} (e.g. {@code http://127.0.0.1:9000}) with host and port replaced by this link's. */
    public String endpointFor(String endpoint) {
        URI uri = URI.create(endpoint);
        return uri.getScheme() + "://" + LoopbackPorts.HOST + ":" + port();
    }

    public int port() {
        return server.getLocalPort();
    }

    public boolean isCut() {
        return cut;
    }

    /** Resets every open connection and refuses (resets) new ones until {@link #restore()}. */
    public void cut() {
        cut = true;
        for (Socket socket : open) {
            reset(socket);
        }
    }

    public void restore() {
        cut = false;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            if (cut) {
                reset(client);
                continue;
            }
            Socket upstream = new Socket();
            try {
                upstream.connect(target, CONNECT_TIMEOUT_MILLIS);
            } catch (IOException e) {
                reset(client);
                closeQuietly(upstream);
                continue;
            }
            open.add(client);
            open.add(upstream);
            pump(client, upstream);
            pump(upstream, client);
        }
    }

    private void pump(Socket from, Socket to) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[BUFFER_BYTES];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // The other side went away or the link was cut: both sockets are closed below.
            } finally {
                open.remove(from);
                open.remove(to);
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "tcp-link-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private static void reset(Socket socket) {
        try {
            // Linger 0: close sends RST, as a vanished peer would look to the client.
            socket.setSoLinger(true, 0);
        } catch (IOException e) {
            // Already closed.
        }
        closeQuietly(socket);
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // Nothing left to release.
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // Nothing left to release.
        }
        cut();
    }
}
