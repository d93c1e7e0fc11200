package dev.kiln.api.billing;

/**
 * The fee kept at top-up (never per call): {@code fee = ceil(gross × bps / 10 000)} in integer
 * micros, so the platform never under-collects a fraction of a micro; {@code credited = gross - fee}.
 */
public record TopUpFee(long grossMicros, long feeMicros, long creditedMicros) {
    /** 100 %: a larger fee would credit a negative amount. */
    public static final int MAX_BASIS_POINTS = 10_000;

    /** @throws IllegalArgumentException unless {@code 0 <= basisPoints <= 10 000} */
    public static int requireValidBasisPoints(int basisPoints) {
        if (basisPoints < 0 || basisPoints > MAX_BASIS_POINTS) {
            throw new IllegalArgumentException("kiln.api.top-up-fee-basis-points must be between 0 and "
                    + MAX_BASIS_POINTS + " (100 %), got " + basisPoints);
        }
        return basisPoints;
    }

    public static TopUpFee of(long grossMicros, int basisPoints) {
        requireValidBasisPoints(basisPoints);
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
