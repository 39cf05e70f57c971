package dev.slmops.serve;

import io.javalin.http.Context;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.EndPoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * Whether the client of a request still being computed has closed its connection. While a non-streamed reply is
 * computed nothing reads the socket (the request body is consumed), so a client's close goes unseen until the
 * reply is written; this probe reads the socket without blocking: end-of-stream or an error means the client is
 * gone. HTTP/1.1 clients send nothing while they wait for a reply; if one pipelines a next request, its first
 * byte would be taken by the probe, so the probe stops there and the connection is closed after this reply.
 */
final class ClientConnection {
    private static final String PIPELINED = ClientConnection.class.getName() + ".pipelined";

    private ClientConnection() {
    }

    /** True when the client's end of the connection is closed (never for a connection the probe cannot see). */
    static boolean closed(Context ctx) {
        if (ctx.attribute(PIPELINED) != null) return false;
        EndPoint endPoint;
        try {
            ServletContextRequest r = ServletContextRequest.getServletContextRequest(ctx.req());
            if (r == null) return false;
            endPoint = r.getConnectionMetaData().getConnection().getEndPoint();
        } catch (RuntimeException e) {
            return false; // not served by Jetty's servlet layer: nothing to probe
        }
        if (!endPoint.isOpen() || endPoint.isInputShutdown()) return true;
        if (!(endPoint.getTransport() instanceof SocketChannel channel) || channel.isBlocking()) return false;
        try {
            int n = channel.read(ByteBuffer.allocate(1)); // non-blocking: 0 while the client waits quietly
            if (n < 0) return true;
            if (n > 0) { // a pipelined request: its first byte is lost, so this connection ends after the reply
                ctx.attribute(PIPELINED, Boolean.TRUE);
                ctx.header("Connection", "close");
            }
            return false;
        } catch (IOException e) {
            return true; // reset by the peer
        }
    }
}
