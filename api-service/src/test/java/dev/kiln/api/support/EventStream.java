package dev.kiln.api.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** A test-side reader of a {@code text/event-stream} body: events with their JSON data, and comment lines. */
public final class EventStream implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One event: its name and parsed data. */
    public record Event(String name, JsonNode data) {
    }

    private final BufferedReader reader;
    private final List<String> comments = new ArrayList<>();

    public EventStream(InputStream body) {
        this.reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
    }

    /** The next event, or null at the end of the stream; comment lines met on the way are kept. */
    public Event next() {
        try {
            String name = "message";
            StringBuilder data = null;
            for (String line; (line = reader.readLine()) != null;) {
                if (line.isEmpty()) {
                    if (data != null) {
                        return new Event(name, JSON.readTree(data.toString()));
                    }
                    name = "message";
                } else if (line.startsWith(":")) {
                    comments.add(line.substring(1).trim());
                } else if (line.startsWith("event:")) {
                    name = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    data = (data == null ? new StringBuilder() : data.append('\n')).append(line.substring(5).trim());
                }
            }
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every event to the end of the stream. */
    public List<Event> rest() {
        List<Event> events = new ArrayList<>();
        for (Event e; (e = next()) != null;) {
            events.add(e);
        }
        return events;
    }

    /** Reads comment lines until one matches (or the stream ends: false). Events on the way are returned in {@code seen}. */
    public boolean commentUntil(Predicate<String> wanted, List<Event> seen) {
        try {
            for (String line; (line = reader.readLine()) != null;) {
                if (line.startsWith(":") && wanted.test(line.substring(1).trim())) {
                    comments.add(line.substring(1).trim());
                    return true;
                }
                if (line.startsWith("event:")) {
                    String name = line.substring(6).trim();
                    String data = reader.readLine();
                    seen.add(new Event(name, JSON.readTree(data.substring(5).trim())));
                }
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public List<String> comments() {
        return comments;
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
