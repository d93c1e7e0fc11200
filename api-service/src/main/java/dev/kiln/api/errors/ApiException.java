package dev.kiln.api.errors;

import dev.kiln.common.errors.ErrorType;

import java.util.Map;

/**
 * An error answered in OpenAI's shape. Carries the headers that must accompany it (rate-limit
 * headers, Retry-After). Never carries a stack trace to the client.
 */
public final class ApiException extends RuntimeException {
    private final ErrorType type;
    private final String param;
    private final String code;
    private final Map<String, String> headers;

    public ApiException(ErrorType type, String message, String param, String code, Map<String, String> headers) {
        super(message, null, false, false);
        this.type = type;
        this.param = param;
        this.code = code;
        this.headers = Map.copyOf(headers);
    }

    public ApiException(ErrorType type, String message, String param, String code) {
        this(type, message, param, code, Map.of());
    }

    public static ApiException invalid(String param, String message) {
        return new ApiException(ErrorType.INVALID_REQUEST, message, param,
                dev.kiln.common.errors.ErrorCodes.INVALID_VALUE);
    }

    public static ApiException invalid(String param, String code, String message) {
        return new ApiException(ErrorType.INVALID_REQUEST, message, param, code);
    }

    public ApiException withHeaders(Map<String, String> extra) {
        java.util.Map<String, String> merged = new java.util.LinkedHashMap<>(headers);
        merged.putAll(extra);
        return new ApiException(type, getMessage(), param, code, merged);
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
}
