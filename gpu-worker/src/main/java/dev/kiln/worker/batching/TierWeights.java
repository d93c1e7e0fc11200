package dev.kiln.worker.batching;

import java.util.HashMap;
import java.util.Map;

/**
 * Fair-share weight per account tier: an account of weight 4 is admitted four times the UNet rows of an
 * account of weight 1 while both have jobs queued. The API's tiers by default (free 1, standard 2,
 * enterprise 4), overridden or extended by configuration; a missing or unknown tier weighs 1, so a record
 * without the tier header (or a tier the worker does not know) is never favoured.
 */
public final class TierWeights {
    public static final Map<String, Double> DEFAULTS = Map.of("free", 1.0, "standard", 2.0, "enterprise", 4.0);
    static final double UNKNOWN = 1.0;

    private final Map<String, Double> weights;

    /** @param configured tier → weight, over {@link #DEFAULTS}; every weight must be positive */
    public TierWeights(Map<String, Double> configured) {
        Map<String, Double> merged = new HashMap<>(DEFAULTS);
        configured.forEach((tier, weight) -> {
            if (!(weight > 0) || weight.isInfinite()) {
                throw new IllegalArgumentException("kiln.worker.batching.tier-weights." + tier
                        + " must be a positive number, got " + weight);
            }
            merged.put(tier, weight);
        });
        this.weights = Map.copyOf(merged);
    }

    /** The tier's weight; 1 for a null, empty or unknown tier. */
    public double weightOf(String tier) {
        return tier == null ? UNKNOWN : weights.getOrDefault(tier, UNKNOWN);
    }
}
