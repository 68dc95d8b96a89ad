package dev.casa.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.casa.text.generate.TokenListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Routes requests, checks the API key, turns every failure into OpenAI's error shape and counts.
 *
 * <p>The API key guards every endpoint but {@code /health} and the web page's static files (which hold
 * no data; the page asks for the key and sends it with its API calls, as llama.cpp's server does).
 */
final class ApiHandler extends Handler.Abstract {
    private static final Map<String, String> STATIC = Map.of(
            "/", "index.html", "/index.html", "index.html", "/app.js", "app.js", "/style.css", "style.css");

    private final ServerContext ctx;
    private final ChatCompletions chat;
    private final byte[] apiKey;
    private final Map<String, byte[]> staticFiles = new ConcurrentHashMap<>();

    ApiHandler(ServerContext ctx) {
        this.ctx = ctx;
        this.chat = new ChatCompletions(ctx);
        this.apiKey = ctx.config.apiKey() == null ? null : ctx.config.apiKey().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        Exchange ex = new Exchange(request, response, callback);
        try {
            route(ex);
        } catch (ApiException e) {
            if (e.status == 429) ctx.metrics.rejected.increment();
            ex.sendError(e);
        } catch (GenerationSlots.ClientGone e) {
            // Nobody is listening: close the connection without an answer.
            ctx.metrics.cancelled.increment();
            ex.status = 499;
            callback.failed(new EofException("client closed the connection"));
        } catch (Throwable t) {
            System.err.println("casa serve: internal error on " + ex.method + " " + ex.path + ": " + t);
            t.printStackTrace();
            String msg = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            ex.sendError(new ApiException(500, "server_error", null, "server_error", "Internal error: " + msg.replace('\n', ' '), 0));
        }
        ctx.metrics.request(routeName(ex.path), ex.status);
        return true;
    }

    /** The route a path belongs to, for the metrics (a fixed set: paths with ids are not labels). */
    private static String routeName(String path) {
        if (path.equals("/health")) return "health";
        if (path.equals("/metrics")) return "metrics";
        if (STATIC.containsKey(path)) return "web";
        if (path.equals("/v1/models") || path.startsWith("/v1/models/")) return "models";
        if (path.equals("/v1/chat/completions")) return "chat";
        if (path.startsWith("/v1/streams/") && path.endsWith("/frames")) return "frames";
        if (path.equals("/v1/streams") || path.startsWith("/v1/streams/")) return "streams";
        return "other";
    }

    private void route(Exchange ex) throws Exception {
        String path = ex.path;
        String method = ex.method;
        if (path.equals("/health")) {
            requireMethod(ex, "GET");
            ex.sendJson(200, Json.object().put("status", "ok"));
            return;
        }
        if (STATIC.containsKey(path) && method.equals("GET")) {
            serveStatic(ex, STATIC.get(path));
            return;
        }
        authorize(ex);
        if (path.equals("/metrics")) {
            requireMethod(ex, "GET");
            ex.send(200, "text/plain; version=0.0.4; charset=utf-8", ctx.metrics.render().getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (path.equals("/v1/models")) {
            requireMethod(ex, "GET");
            ObjectNode list = Json.object().put("object", "list");
            list.putArray("data").add(modelObject());
            ex.sendJson(200, list);
            return;
        }
        if (path.startsWith("/v1/models/")) {
            requireMethod(ex, "GET");
            String id = path.substring("/v1/models/".length());
            if (!id.equals(ctx.modelId)) throw ApiException.notFound("model_not_found", "The model '" + id + "' does not exist; this server serves '" + ctx.modelId + "'.");
            ex.sendJson(200, modelObject());
            return;
        }
        if (path.equals("/v1/chat/completions")) {
            requireMethod(ex, "POST");
            chat.handle(ex);
            return;
        }
        if (path.equals("/v1/streams")) {
            requireMethod(ex, "POST");
            LiveStreams.LiveStream s = ctx.streams.open(ctx.streams.parse(ex.json(ctx.config.maxBodyBytes())));
            ex.sendJson(201, s.describe());
            return;
        }
        if (path.startsWith("/v1/streams/")) {
            String rest = path.substring("/v1/streams/".length());
            if (rest.endsWith("/frames")) {
                requireMethod(ex, "POST");
                frame(ex, rest.substring(0, rest.length() - "/frames".length()));
                return;
            }
            if (rest.contains("/")) throw notFound(ex);
            if (method.equals("DELETE")) {
                if (!ctx.streams.close(rest)) ctx.streams.get(rest);   // 404 for an unknown id
                ex.sendJson(200, Json.object().put("id", rest).put("object", "stream.deleted").put("deleted", true));
            } else {
                requireMethod(ex, "GET", "DELETE");
                ex.sendJson(200, ctx.streams.get(rest).describe());
            }
            return;
        }
        throw notFound(ex);
    }

    private ObjectNode modelObject() {
        ObjectNode m = Json.object();
        m.put("id", ctx.modelId).put("object", "model").put("created", 0).put("owned_by", "casa-java");
        m.put("family", ctx.model.family()).put("vision", ctx.model.hasVision()).put("context_length", ctx.contextTokens);
        return m;
    }

    /** {@code POST /v1/streams/{id}/frames}: the body is the image; {@code ?stream=true} or Accept: text/event-stream streams the caption. */
    private void frame(Exchange ex, String id) throws Exception {
        LiveStreams.LiveStream stream = ctx.streams.get(id);
        ex.requireContentType("image/*", "application/octet-stream");
        byte[] body = ex.body(ctx.config.maxBodyBytes());
        if (body.length == 0) throw ApiException.invalid(null, "invalid_image", "The frame body is empty; send the image's bytes.");
        boolean sse = "true".equals(Request.extractQueryParameters(ex.request).getValue("stream"))
                || String.valueOf(ex.header("Accept")).contains("text/event-stream");
        if (!stream.lock.tryLock()) {
            throw new ApiException(409, "invalid_request_error", null, "stream_busy",
                    "A frame of stream '" + id + "' is being captioned; send the next one when it is done.", 0);
        }
        ClientWatch watch = ClientWatch.of(ex.request);
        Exchange.Sse events = ex.new Sse(watch);
        LiveStreams.Caption c;
        try {
            TokenListener listener = !sse ? new Watching(watch, (tid, text) -> { }) : new Watching(watch, (tid, text) -> {
                if (text.isEmpty() || watch.gone()) return;
                try {
                    ObjectNode d = Json.object().put("object", "stream.frame.delta").put("stream_id", id).put("frame", stream.frames + 1);
                    d.put("delta", text);
                    events.event(Json.string(d));
                } catch (GenerationSlots.ClientGone e) {
                    // marked gone: the caption stops at the next token
                }
            });
            c = ctx.slots.run(() -> stream.caption(ctx.images.decode("body", body), listener), watch);
        } catch (ApiException e) {
            stream.lock.unlock();
            if (!events.started()) throw e;
            events.error(e);
            events.done();
            return;
        } catch (Exception | Error e) {
            stream.lock.unlock();
            throw e;
        }
        // Released before the answer is written: a client may send its next frame as soon as it has it.
        stream.lock.unlock();
        if (watch.gone()) throw new GenerationSlots.ClientGone();
        ObjectNode out = Json.object();
        out.put("object", "stream.frame").put("stream_id", id).put("frame", c.frame()).put("caption", c.text());
        out.put("finish_reason", Generation.finishReason(c.result().stopReason())).put("reset", c.reset());
        out.put("cache_bytes", c.cacheBytes()).put("context_used", c.textTokens());
        ObjectNode u = out.putObject("usage");
        u.put("prompt_tokens", c.turn().promptTokens()).put("completion_tokens", c.result().tokens().length)
                .put("image_tokens", c.turn().imageTokens());
        if (sse) {
            events.event(Json.string(out));
            events.done();
        } else {
            ex.sendJson(200, out);
        }
    }

    /** A listener that stops the generation when the client is gone. */
    private record Watching(ClientWatch watch, TokenListener sink) implements TokenListener {
        @Override
        public void onToken(int id, String text) { sink.onToken(id, text); }

        @Override
        public boolean cancelled() { return watch.gone(); }
    }

    private void authorize(Exchange ex) {
        if (apiKey == null) return;
        String h = ex.header("Authorization");
        if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw ApiException.unauthorized("You didn't provide an API key. Send it as 'Authorization: Bearer KEY'.");
        }
        byte[] given = h.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, apiKey)) throw ApiException.unauthorized("Incorrect API key provided.");
    }

    private static void requireMethod(Exchange ex, String... methods) {
        for (String m : methods) if (m.equals(ex.method)) return;
        ex.response.getHeaders().put(HttpHeader.ALLOW, String.join(", ", methods));
        throw new ApiException(405, "invalid_request_error", null, "method_not_allowed",
                "Method " + ex.method + " is not allowed on " + ex.path + " (use " + String.join(" or ", methods) + ").", 0);
    }

    private static ApiException notFound(Exchange ex) {
        return ApiException.notFound("unknown_url", "Invalid URL (" + ex.method + " " + ex.path + ")");
    }

    private void serveStatic(Exchange ex, String name) {
        byte[] body = staticFiles.computeIfAbsent(name, n -> {
            try (InputStream in = ApiHandler.class.getResourceAsStream("web/" + n)) {
                if (in == null) throw new IllegalStateException("missing resource web/" + n);
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        String type = name.endsWith(".html") ? "text/html; charset=utf-8" : name.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
        var h = ex.response.getHeaders();
        h.put("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob: mediastream:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
        h.put("X-Content-Type-Options", "nosniff");
        h.put("Referrer-Policy", "no-referrer");
        ex.send(200, type, body);
    }
}
