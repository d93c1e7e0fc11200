package dev.kiln.api.errors;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.errors.ErrorType;

/**
 * An error answered in OpenAI's shape. Carries the headers that must accompany it (rate-limit
 * headers, Retry-After) and whether a retry may help ({@code x-should-retry}). Never carries a
 * stack trace to the client.
 */
public final class ApiException extends RuntimeException {
    private final ErrorType type;
    private final String param;
    private final String code;
    private final Map<String, String> headers;
    private final boolean retryable;

    public ApiException(ErrorType type, String message, String param, String code, Map<String, String> headers,
            boolean retryable) {
        super(message, null, false, false);
        this.type = type;
        this.param = param;
        this.code = code;
        this.headers = Map.copyOf(headers);
        this.retryable = retryable;
    }

    /** With the retry advice of its type (see {@link #retryableByDefault}). */
    public ApiException(ErrorType type, String message, String param, String code, Map<String, String> headers) {
        this(type, message, param, code, headers, retryableByDefault(type));
    }

    public ApiException(ErrorType type, String message, String param, String code) {
        this(type, message, param, code, Map.of());
    }

    /**
     * What a retry of the same request may achieve when nothing else is known: a 429 passes once the
     * window moves, a 500/503 was answered with nothing charged (or refunded); a 4xx would fail the
     * same way, and a 504 means the job is still running, so a retry would only wait again.
     */
    public static boolean retryableByDefault(ErrorType type) {
        return switch (type) {
            case RATE_LIMIT, SERVER, SERVICE_UNAVAILABLE -> true;
            default -> false;
        };
    }

    public static ApiException invalid(String param, String message) {
        return invalid(param, ErrorCodes.INVALID_VALUE, message);
    }

    public static ApiException invalid(String param, String code, String message) {
        return new ApiException(ErrorType.INVALID_REQUEST, message, param, code);
    }

    /** A 503 that nothing was charged for: retry after {@code retryAfterSeconds}. */
    public static ApiException unavailable(String code, String message, int retryAfterSeconds) {
        return new ApiException(ErrorType.SERVICE_UNAVAILABLE, message, null, code,
                Map.of("Retry-After", Integer.toString(retryAfterSeconds)));
    }

    /** Redis, S3 or Kafka could not answer in time. */
    public static ApiException backendUnavailable() {
        return unavailable(ErrorCodes.BACKEND_UNAVAILABLE, "The service is temporarily unavailable; retry shortly.", 1);
    }

    /** A failure nobody anticipated; its details stay in the log. */
    public static ApiException internal() {
        return new ApiException(ErrorType.SERVER, "The server had an error processing your request.", null,
                ErrorCodes.INTERNAL);
    }

    public ApiException withHeaders(Map<String, String> extra) {
        Map<String, String> merged = new LinkedHashMap<>(headers);
        merged.putAll(extra);
        return new ApiException(type, getMessage(), param, code, merged, retryable);
    }

    /** The same error with explicit retry advice. */
    public ApiException retryable(boolean advice) {
        return new ApiException(type, getMessage(), param, code, headers, advice);
    }

    public ErrorType type() {
        return type;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }

    public Map<String, String> headers() {
        return headers;
    }

    /** Sent as {@code x-should-retry}, which the OpenAI SDKs obey before their own status rules. */
    public boolean retryable() {
        return retryable;
    }
}
