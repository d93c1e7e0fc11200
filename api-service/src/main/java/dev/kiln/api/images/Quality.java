package dev.kiln.api.images;

import java.util.Locale;
import java.util.Optional;

import dev.kiln.api.ApiConfig;

/**
 * OpenAI's {@code quality}, mapped to denoising steps (an explicit {@code steps} wins): low 15,
 * medium 25, high 40, auto the configured default ({@code kiln.api.limits.default-steps}, 30).
 * DALL-E 3's {@code standard} and {@code hd} are medium and high.
 */
public enum Quality {
    LOW(15),
    MEDIUM(25),
    HIGH(40),
    AUTO(0),
    STANDARD(25),
    HD(40);

    private final int steps;

    Quality(int steps) {
        this.steps = steps;
    }

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Denoising steps for this quality, bounded by the configured step limits. */
    public int steps(ApiConfig.Limits limits) {
        int wanted = this == AUTO ? limits.defaultSteps() : steps;
        return Math.max(limits.minSteps(), Math.min(limits.maxSteps(), wanted));
    }

    public static Optional<Quality> parse(String value) {
        for (Quality q : values()) {
            if (q.wire().equalsIgnoreCase(value)) {
                return Optional.of(q);
            }
        }
        return Optional.empty();
    }
}
