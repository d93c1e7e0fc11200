package dev.kiln.api.ratelimit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import dev.kiln.api.ApiConfig;

/** The configured tiers flattened into the ARGV tail the Lua scripts expect. */
@ApplicationScoped
public class TierTable {
    private final List<String> argv;
    private final String defaultTier;
    private final long windowMillis;

    public TierTable(ApiConfig config) {
        List<String> args = new ArrayList<>();
        for (Map.Entry<String, ApiConfig.Tier> e : config.tiers().entrySet()) {
            args.add(e.getKey());
            args.add(Integer.toString(e.getValue().requestsPerMinute()));
            args.add(Integer.toString(e.getValue().imagesPerMinute()));
        }
        if (!config.tiers().containsKey(config.defaultTier())) {
            throw new IllegalStateException(
                    "kiln.api.default-tier '" + config.defaultTier() + "' is not configured in kiln.api.tiers");
        }
        this.argv = List.copyOf(args);
        this.defaultTier = config.defaultTier();
        this.windowMillis = config.limits().rateWindow().toMillis();
    }

    public List<String> argv() {
        return argv;
    }

    public String defaultTier() {
        return defaultTier;
    }

    public long windowMillis() {
        return windowMillis;
    }

    public boolean exists(String tier) {
        for (int i = 0; i < argv.size(); i += 3) {
            if (argv.get(i).equals(tier)) {
                return true;
            }
        }
        return false;
    }
}
