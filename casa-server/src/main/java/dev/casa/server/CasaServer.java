package dev.casa.server;

import dev.casa.CasaModel;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * {@code casa serve}: an OpenAI-compatible HTTP server for one {@link CasaModel}, with live caption
 * streams and a web page. Jetty 12 (HTTP/1.1) on virtual threads: each request is handled by blocking
 * code on its own virtual thread; generations run on {@code parallel} platform threads
 * ({@link GenerationSlots}).
 *
 * <pre>{@code
 * try (CasaServer server = CasaServer.start(model, ServerConfig.builder().port(0).build())) {
 *     URI base = server.uri();   // http://127.0.0.1:PORT/
 * }
 * }</pre>
 */
public final class CasaServer implements AutoCloseable {
    private final Server jetty;
    private final ServerConnector connector;
    private final ServerContext ctx;

    private CasaServer(Server jetty, ServerConnector connector, ServerContext ctx) {
        this.jetty = jetty;
        this.connector = connector;
        this.ctx = ctx;
    }

    /** Starts serving {@code model}; the model stays the caller's to close (after the server). */
    public static CasaServer start(CasaModel model, ServerConfig config) throws Exception {
        ServerContext ctx = new ServerContext(model, config);
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("casa-http");
        threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        Server jetty = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        ServerConnector connector = new ServerConnector(jetty, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(config.host());
        connector.setPort(config.port());
        connector.setIdleTimeout(120_000);
        jetty.addConnector(connector);
        jetty.setHandler(new ApiHandler(ctx));
        jetty.setErrorHandler(new JsonErrorHandler());
        jetty.setStopTimeout(2_000);
        try {
            jetty.start();
        } catch (Exception e) {
            ctx.close();
            jetty.stop();
            throw e;
        }
        return new CasaServer(jetty, connector, ctx);
    }

    /** The address the server's socket is bound to (the port is the real one when 0 was asked for). */
    public InetSocketAddress address() {
        try {
            return (InetSocketAddress) ((java.nio.channels.ServerSocketChannel) connector.getTransport()).getLocalAddress();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The base URI, e.g. {@code http://127.0.0.1:8080/}. */
    public java.net.URI uri() {
        String host = connector.getHost() == null || connector.getHost().equals("0.0.0.0") ? "127.0.0.1" : connector.getHost();
        if (host.contains(":")) host = "[" + host + "]";
        return java.net.URI.create("http://" + host + ":" + connector.getLocalPort() + "/");
    }

    /** The id clients name the model by. */
    public String modelId() { return ctx.modelId; }

    /** Bytes held by the caches of one open stream (for tests and monitoring), or -1 if there is none. */
    public long streamCacheBytes(String streamId) {
        try {
            return ctx.streams.get(streamId).session.state().cacheBytes();
        } catch (ApiException e) {
            return -1;
        }
    }

    /** The shared state, for the tests of this package. */
    ServerContext context() { return ctx; }

    /** Blocks until the server stops. */
    public void join() throws InterruptedException {
        jetty.join();
    }

    @Override
    public void close() throws Exception {
        try {
            jetty.stop();
        } finally {
            ctx.close();
        }
    }
}
