package dev.casa.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;

/** One request and its response, with the reads and writes the endpoints need (blocking: virtual threads). */
final class Exchange {
    final Request request;
    final Response response;
    final Callback callback;
    final String method;
    final String path;
    int status = 200;

    Exchange(Request request, Response response, Callback callback) {
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.method = request.getMethod();
        this.path = Request.getPathInContext(request);
    }

    String header(String name) { return request.getHeaders().get(name); }

    /** The body, read to its end; 413 past {@code max} bytes (checked on Content-Length first). */
    byte[] body(long max) {
        long declared = request.getLength();
        if (declared > max) throw ApiException.tooLarge("The request body has " + declared + " bytes, more than this server's limit of " + max + ".");
        byte[] data;
        try (InputStream in = Content.Source.asInputStream(request)) {
            data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
        } catch (IOException | RuntimeException e) {
            // A malformed body (bad chunk framing) is Jetty's HttpException; anything else, a client gone mid-body.
            HttpException http = e instanceof HttpException h ? h : e.getCause() instanceof HttpException c ? c : null;
            if (http != null) {
                throw new ApiException(http.getCode(), "invalid_request_error", null, "bad_request", "Malformed request body: " + http.getReason(), 0);
            }
            if (e instanceof RuntimeException r) throw r;
            throw new GenerationSlots.ClientGone();
        }
        if (data.length > max) throw ApiException.tooLarge("The request body is larger than this server's limit of " + max + " bytes.");
        return data;
    }

    /** A JSON body: Content-Type application/json (so a web page elsewhere cannot post here without a CORS preflight). */
    JsonNode json(long max) throws IOException {
        requireContentType("application/json");
        byte[] data = body(max);
        if (data.length == 0) throw ApiException.invalid(null, "invalid_json", "The request body is empty; expected a JSON object.");
        try {
            JsonNode node = Json.MAPPER.readTree(data);
            if (node == null || node.isMissingNode()) throw ApiException.invalid(null, "invalid_json", "The request body is empty; expected a JSON object.");
            return node;
        } catch (JsonProcessingException e) {
            String reason = e.getOriginalMessage().replaceAll("\\s*\\(start marker at \\[Source[^\\]]*\\]\\)", "").replace('\n', ' ');
            throw ApiException.invalid(null, "invalid_json", "We could not parse the JSON body of your request: " + reason
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")") + ".");
        }
    }

    void requireContentType(String... accepted) {
        String type = header("Content-Type");
        String t = type == null ? "" : type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        for (String a : accepted) {
            if (a.endsWith("/*") ? t.startsWith(a.substring(0, a.length() - 1)) : t.equals(a)) return;
        }
        throw new ApiException(415, "invalid_request_error", null, "unsupported_media_type",
                "Content-Type must be " + String.join(" or ", accepted) + (type == null ? "" : ", got '" + type + "'") + ".", 0);
    }

    void sendJson(int status, JsonNode node) {
        send(status, "application/json", Json.bytes(node));
    }

    void send(int status, String contentType, byte[] body) {
        this.status = status;
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    void sendError(ApiException e) {
        if (e.retryAfterSeconds > 0) response.getHeaders().put(HttpHeader.RETRY_AFTER, Long.toString(e.retryAfterSeconds));
        if (e.status == 401) response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer");
        sendJson(e.status, Json.error(e));
    }

    /** A server-sent-event response, written as the tokens come. */
    final class Sse {
        private final ClientWatch watch;
        private boolean started;

        Sse(ClientWatch watch) {
            this.watch = watch;
        }

        boolean started() { return started; }

        /**
         * Writes one {@code data:} event and waits until it is sent. A failed write means the client is
         * gone: it is marked so, and {@link GenerationSlots.ClientGone} is thrown.
         */
        void event(String data) {
            if (!started) {
                started = true;
                status = 200;
                response.setStatus(200);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
                response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
                response.getHeaders().put("X-Accel-Buffering", "no");
            }
            try (Blocker.Callback cb = Blocker.callback()) {
                response.write(false, ByteBuffer.wrap(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8)), cb);
                cb.block();
            } catch (IOException | RuntimeException e) {
                watch.markGone();
                throw new GenerationSlots.ClientGone();
            }
        }

        /** An error after the stream started: one event in OpenAI's error shape. */
        void error(ApiException e) {
            event(Json.string(Json.error(e)));
        }

        /** {@code data: [DONE]} and the end of the response. */
        void done() {
            response.write(true, ByteBuffer.wrap("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8)), callback);
        }
    }
}
