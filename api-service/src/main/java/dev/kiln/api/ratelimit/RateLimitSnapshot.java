package dev.kiln.api.ratelimit;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.kiln.common.redis.ScriptRunner;

/**
 * A key's rate-limit state as the Lua scripts report it; rendered as the
 * {@code x-ratelimit-*} headers on every authenticated answer.
 */
public record RateLimitSnapshot(long requestLimit, long requestsRemaining, long requestsResetMillis,
        long imageLimit, long imagesRemaining, long imagesResetMillis) {

    /** From elements 3–8 of a submit or authenticate script reply (both scripts put the limits there). */
    public static RateLimitSnapshot fromScriptReply(List<Object> reply) {
        return new RateLimitSnapshot(ScriptRunner.num(reply, 3), ScriptRunner.num(reply, 4), ScriptRunner.num(reply, 5),
                ScriptRunner.num(reply, 6), ScriptRunner.num(reply, 7), ScriptRunner.num(reply, 8));
    }

    public Map<String, String> headers() {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("x-ratelimit-limit-requests", Long.toString(requestLimit));
        h.put("x-ratelimit-remaining-requests", Long.toString(requestsRemaining));
        h.put("x-ratelimit-reset-requests", duration(requestsResetMillis));
        h.put("x-ratelimit-limit-images", Long.toString(imageLimit));
        h.put("x-ratelimit-remaining-images", Long.toString(imagesRemaining));
        h.put("x-ratelimit-reset-images", duration(imagesResetMillis));
        return h;
    }

    /** OpenAI renders resets as durations ("1s", "6m0s", "20ms"); we use whole millis or seconds. */
    static String duration(long millis) {
        if (millis < 1000) {
            return millis + "ms";
        }
        long seconds = (millis + 999) / 1000;
        return seconds < 60 ? seconds + "s" : (seconds / 60) + "m" + (seconds % 60) + "s";
    }

    /** Retry-After value: whole seconds, rounded up, at least 1. */
    public static String retryAfterSeconds(long millis) {
        return Long.toString(Math.max(1, (millis + 999) / 1000));
    }
}
