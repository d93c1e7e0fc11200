package dev.kiln.common.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

import org.junit.jupiter.api.Test;

class NoDelaySocketFactoryTest {

    @Test
    void unconnectedSocketsHaveNagleDisabled() throws Exception {
        // OkHttp asks for an unconnected socket and connects it itself.
        try (Socket socket = new NoDelaySocketFactory().createSocket()) {
            assertThat(socket.getTcpNoDelay()).isTrue();
        }
    }

    @Test
    void connectedSocketsHaveNagleDisabled() throws Exception {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (ServerSocket server = new ServerSocket(0, 1, loopback);
                Socket socket = new NoDelaySocketFactory().createSocket(loopback, server.getLocalPort())) {
            assertThat(socket.getTcpNoDelay()).isTrue();
        }
    }
}
