package dev.kiln.common.jobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * JSON codec for {@link JobSpec} (Kafka record values, the job record's {@code spec} field) and
 * the result-key lists stored in job records. Unknown fields are ignored so that a newer producer
 * can add fields without breaking older workers; {@code v} tells incompatible changes apart.
 */
public final class JobJson {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final TypeReference<List<String>> STRING_LIST = new TypeReference<>() {
    };

    private JobJson() {
    }

    public static String toJson(JobSpec spec) {
        return write(spec);
    }

    public static byte[] toJsonBytes(JobSpec spec) {
        return toJson(spec).getBytes(StandardCharsets.UTF_8);
    }

    /** Parses a spec; throws {@link IllegalArgumentException} when malformed or of an unknown version. */
    public static JobSpec specFromJson(String json) {
        JobSpec spec;
        try {
            spec = MAPPER.readValue(json, JobSpec.class);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("malformed job spec: " + e.getMessage(), e);
        }
        if (spec.schemaVersion() != JobSpec.SCHEMA_VERSION) {
            throw new IllegalArgumentException("unsupported job spec version " + spec.schemaVersion());
        }
        return spec;
    }

    public static JobSpec specFromJson(byte[] json) {
        return specFromJson(new String(json, StandardCharsets.UTF_8));
    }

    public static String keysToJson(List<String> keys) {
        return write(keys);
    }

    public static List<String> keysFromJson(String json) {
        if (json == null || json.isEmpty()) {
            return List.of();
        }
        try {
            return MAPPER.readValue(json, STRING_LIST);
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed key list: " + json, e);
        }
    }

    private static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
