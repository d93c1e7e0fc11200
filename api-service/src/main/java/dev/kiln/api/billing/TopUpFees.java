package dev.kiln.api.billing;

import jakarta.enterprise.context.ApplicationScoped;

import dev.kiln.api.ApiConfig;
import io.quarkus.runtime.Startup;

/**
 * The configured top-up fee, checked when the service starts: a fee outside 0–100 % makes the
 * service refuse to start instead of crediting negative amounts at the first top-up.
 */
@Startup
@ApplicationScoped
public class TopUpFees {
    private final int basisPoints;

    public TopUpFees(ApiConfig config) {
        this.basisPoints = TopUpFee.requireValidBasisPoints(config.topUpFeeBasisPoints());
    }

    /** The fee on a gross top-up; {@link IllegalArgumentException} when the amount is out of range. */
    public TopUpFee on(long grossMicros) {
        return TopUpFee.of(grossMicros, basisPoints);
    }
}
