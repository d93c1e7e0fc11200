package dev.kiln.api.billing;

/**
 * The fee kept at top-up (never per call): {@code fee = ceil(gross × bps / 10 000)} in integer
 * micros, so the platform never under-collects a fraction of a micro; {@code credited = gross - fee}.
 */
public record TopUpFee(long grossMicros, long feeMicros, long creditedMicros) {

    public static TopUpFee of(long grossMicros, int basisPoints) {
        if (grossMicros <= 0) {
            throw new IllegalArgumentException("top-up must be positive");
        }
        if (grossMicros > Long.MAX_VALUE / 10_000) {
            throw new IllegalArgumentException("top-up too large");
        }
        long fee = Math.floorDiv(grossMicros * basisPoints + 9_999, 10_000);
        return new TopUpFee(grossMicros, fee, grossMicros - fee);
    }
}
