package dev.kiln.common.errors;

/**
 * The OpenAI-shaped error types Kiln answers with, each bound to its HTTP status.
 * The wire name is what goes into {@code error.type}.
 */
public enum ErrorType {
    INVALID_REQUEST(400, "invalid_request_error"),
    AUTHENTICATION(401, "authentication_error"),
    INSUFFICIENT_CREDITS(402, "insufficient_credits"),
    NOT_FOUND(404, "not_found"),
    METHOD_NOT_ALLOWED(405, "invalid_request_error"),
    CONFLICT(409, "invalid_request_error"),
    REQUEST_TOO_LARGE(413, "invalid_request_error"),
    RATE_LIMIT(429, "rate_limit_error"),
    SERVER(500, "server_error"),
    SERVICE_UNAVAILABLE(503, "service_unavailable"),
    /** A synchronous call whose wait ran out while its job still runs. */
    GATEWAY_TIMEOUT(504, "server_error");

    private final int httpStatus;
    private final String wireName;

    ErrorType(int httpStatus, String wireName) {
        this.httpStatus = httpStatus;
        this.wireName = wireName;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public String wireName() {
        return wireName;
    }
}
