package dev.kiln.api.images;

import java.time.Duration;
import java.util.Locale;

/**
 * The RFC 7240 {@code Prefer} preferences Kiln honours: {@code respond-async} and {@code wait=N}
 * (seconds, capped at {@code kiln.api.wait.max-seconds}). Anything else is ignored.
 *
 * @param respondAsync answer 202 with the job at once
 * @param maxWait how long a synchronous call waits
 * @param asked the client asked for either preference, so a 202 after the wait is an answer it
 *        expects; without it the OpenAI SDKs would take a 202 for a success without images
 */
public record Prefer(boolean respondAsync, Duration maxWait, boolean asked) {

    public static Prefer parse(String header, int defaultSeconds, int maxSeconds) {
        boolean async = false;
        boolean waitAsked = false;
        long seconds = defaultSeconds;
        if (header != null) {
            // Splitting on [,;] by hand: String.split with a character class compiles and runs a regex per request.
            int start = 0;
            while (start <= header.length()) {
                int end = nextSeparator(header, start);
                String t = header.substring(start, end).trim().toLowerCase(Locale.ROOT);
                start = end + 1;
                if (t.equals("respond-async")) {
                    async = true;
                } else if (t.startsWith("wait=")) {
                    try {
                        seconds = Long.parseLong(t.substring(5).trim());
                        waitAsked = true;
                    } catch (NumberFormatException ignored) {
                        // A malformed preference is ignored, as RFC 7240 asks.
                    }
                }
            }
        }
        seconds = Math.max(0, Math.min(seconds, maxSeconds));
        return new Prefer(async, Duration.ofSeconds(seconds), async || waitAsked);
    }

    private static int nextSeparator(String header, int from) {
        for (int i = from; i < header.length(); i++) {
            char c = header.charAt(i);
            if (c == ',' || c == ';') {
                return i;
            }
        }
        return header.length();
    }
}
