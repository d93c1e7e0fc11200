package dev.kiln.api.errors;

import com.fasterxml.jackson.annotation.JsonInclude;

/** {@code {"error":{"message","type","param","code"}}} — param and code are null when not applicable. */
public record ErrorBody(Detail error) {
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Detail(String message, String type, String param, String code) {
    }

    public static ErrorBody of(ApiException e) {
        return new ErrorBody(new Detail(e.getMessage(), e.type().wireName(), e.param(), e.code()));
    }
}
