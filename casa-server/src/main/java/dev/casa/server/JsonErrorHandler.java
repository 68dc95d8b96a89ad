package dev.casa.server;

import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/** Errors Jetty answers itself (a malformed request line, headers too large) in OpenAI's shape too. */
final class JsonErrorHandler extends ErrorHandler {
    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause, Callback callback) {
        String text = message != null && !message.isBlank() ? message : org.eclipse.jetty.http.HttpStatus.getMessage(code);
        ApiException e = new ApiException(code, code >= 500 ? "server_error" : "invalid_request_error", null,
                code >= 500 ? "server_error" : "bad_request", text, 0);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(Json.bytes(Json.error(e))), callback);
    }
}
