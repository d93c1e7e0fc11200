package dev.kiln.api.images;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

import dev.kiln.api.errors.ApiException;

/** Field access common to JSON bodies and multipart forms: every scalar is read as its text. */
public interface RequestFields {

    boolean has(String name);

    /** The field's text; empty when absent or JSON null; 400 naming the field when it is not a scalar. */
    Optional<String> text(String name);

    /**
     * A boolean field: JSON {@code true}/{@code false}, or the text {@code "true"}/{@code "false"} (forms send
     * text); empty when absent or JSON null; 400 naming the field otherwise.
     */
    default Optional<Boolean> flag(String name) {
        return text(name).map(v -> switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw ApiException.invalid(name, "'" + name + "' must be true or false.");
        });
    }

    static RequestFields of(JsonNode object) {
        return new RequestFields() {
            @Override
            public boolean has(String name) {
                return object.has(name) && !object.get(name).isNull();
            }

            @Override
            public Optional<Boolean> flag(String name) {
                JsonNode v = object.get(name);
                if (v != null && v.isBoolean()) {
                    return Optional.of(v.booleanValue());
                }
                return RequestFields.super.flag(name);
            }

            @Override
            public Optional<String> text(String name) {
                JsonNode v = object.get(name);
                if (v == null || v.isNull()) {
                    return Optional.empty();
                }
                if (!v.isValueNode() || v.isBoolean() || v.isBinary()) {
                    throw ApiException.invalid(name,
                            "'" + name + "' must be a " + (v.isBoolean() ? "string or number" : "scalar") + ".");
                }
                return Optional.of(v.asText());
            }
        };
    }

    static RequestFields of(Map<String, String> form) {
        return new RequestFields() {
            @Override
            public boolean has(String name) {
                return form.containsKey(name);
            }

            @Override
            public Optional<String> text(String name) {
                return Optional.ofNullable(form.get(name));
            }
        };
    }
}
