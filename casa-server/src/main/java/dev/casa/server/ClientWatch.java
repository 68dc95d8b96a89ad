package dev.casa.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.BufferUtil;

/**
 * Tells whether the client of a request is still there, so that a generation nobody will read stops.
 *
 * <p>HTTP/1.1 gives no signal while the server only computes: Jetty (like the JDK's server) does not
 * read the connection while a request is being handled, so a client's close goes unnoticed until a
 * write fails. {@link #gone()} therefore looks: once the request body has been read to its end, it
 * tries a non-blocking read of one byte on the connection. -1 means the client closed it. A byte
 * means the client sent more after a POST before its answer, which RFC 9112 §9.3.2 tells clients not
 * to do; that byte cannot be handed back, so it is treated as a client gone too (the connection is
 * then closed). A failed write of the answer ({@link #markGone()}) also counts.
 */
final class ClientWatch {
    /** For requests whose connection cannot be probed (no endpoint): only failed writes tell. */
    static final ClientWatch NONE = new ClientWatch(null);

    private final EndPoint endPoint;
    private final ByteBuffer probe = ByteBuffer.allocate(1);
    private volatile boolean gone;

    private ClientWatch(EndPoint endPoint) {
        this.endPoint = endPoint;
    }

    /**
     * Only once the request's body has been read to its end. The connection's idle timeout is then
     * ignored while nothing is being written: a long prefill or a wait in the queue is not idleness,
     * and a client that leaves is found by {@link #gone()}. (A write that stalls still times out.)
     */
    static ClientWatch of(Request request) {
        request.addIdleTimeoutListener(timeout -> false);
        return new ClientWatch(request.getConnectionMetaData().getConnection().getEndPoint());
    }

    /** True once the client has closed the connection; cheap enough to ask after every token. */
    boolean gone() {
        if (gone || endPoint == null) return gone;
        synchronized (this) {
            if (gone) return true;
            try {
                BufferUtil.clear(probe);   // Jetty's fill appends after the limit: empty it that way
                if (!endPoint.isOpen() || endPoint.fill(probe) != 0) gone = true;
            } catch (IOException e) {
                gone = true;
            }
            return gone;
        }
    }

    void markGone() { gone = true; }
}
