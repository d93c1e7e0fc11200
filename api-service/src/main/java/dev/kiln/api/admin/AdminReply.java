package dev.kiln.api.admin;

import java.util.Map;

/** A successful admin answer: HTTP status, JSON body and extra headers. */
public record AdminReply(int status, Object body, Map<String, String> headers) {

    public static AdminReply ok(Object body) {
        return new AdminReply(200, body, Map.of());
    }

    public static AdminReply created(Object body) {
        return new AdminReply(201, body, Map.of());
    }
}
