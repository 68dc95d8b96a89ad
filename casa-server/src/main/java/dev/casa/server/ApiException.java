package dev.casa.server;

/**
 * A request that fails with an HTTP status and OpenAI's error shape:
 * {@code {"error": {"message", "type", "param", "code"}}}.
 */
final class ApiException extends RuntimeException {
    final int status;
    final String type;
    final String param;
    final String code;
    /** Seconds for a Retry-After header (429), or 0. */
    final long retryAfterSeconds;

    ApiException(int status, String type, String param, String code, String message, long retryAfterSeconds) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400: the request is wrong; {@code param} names the field (dotted, with indexes), or null. */
    static ApiException invalid(String param, String code, String message) {
        return new ApiException(400, "invalid_request_error", param, code, message, 0);
    }

    static ApiException unauthorized(String message) {
        return new ApiException(401, "invalid_request_error", null, "invalid_api_key", message, 0);
    }

    static ApiException notFound(String code, String message) {
        return new ApiException(404, "invalid_request_error", null, code, message, 0);
    }

    static ApiException tooLarge(String message) {
        return new ApiException(413, "invalid_request_error", null, "request_too_large", message, 0);
    }

    static ApiException busy(String message, long retryAfterSeconds) {
        return new ApiException(429, "rate_limit_error", null, "server_busy", message, Math.max(1, retryAfterSeconds));
    }
}
