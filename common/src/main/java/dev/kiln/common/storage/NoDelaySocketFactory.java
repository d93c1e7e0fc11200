package dev.kiln.common.storage;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;

import javax.net.SocketFactory;

/**
 * Plain sockets with Nagle's algorithm off. OkHttp (under the MinIO SDK) leaves TCP_NODELAY unset and
 * writes a PUT as a full 8 KiB Okio segment followed by the remainder; Nagle then holds that remainder
 * until the server ACKs the first write, which a delayed-ACK server does only after ~40 ms. Every
 * small PNG (worker outputs, API inputs) paid that (S3 put p50 55 ms before, 12-20 ms after on a loaded 2-vCPU host;
 * docs/decisions/2026-11-25-s3-clients-without-nagle.md).
 */
public final class NoDelaySocketFactory extends SocketFactory {

    @Override
    public Socket createSocket() throws IOException {
        return noDelay(new Socket());
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return noDelay(new Socket(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return noDelay(new Socket(host, port, localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return noDelay(new Socket(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        return noDelay(new Socket(address, port, localAddress, localPort));
    }

    private static Socket noDelay(Socket socket) throws SocketException {
        socket.setTcpNoDelay(true);
        return socket;
    }
}
