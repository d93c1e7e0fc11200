package dev.kiln.tools.chaos;

/**
 * One line of the chaos table: what happened to the requests submitted during one fault.
 *
 * @param fault the fault
 * @param submitted requests submitted during it
 * @param accepted of those, answered 202 (possibly after retries under the same Idempotency-Key)
 * @param succeeded accepted jobs that ended {@code succeeded}
 * @param failedOrExpired accepted jobs that ended {@code failed}, {@code expired} or {@code canceled} (fully refunded)
 * @param notAccepted requests never answered 202 within the submit timeout (the client was told nothing
 *        was admitted; any job they left behind must end refunded)
 * @param lost jobs not terminal at the end, terminal without a settlement, or with a reservation
 *        never settled
 * @param doubleCharged jobs settled more than once, charged more than their images, or charged although the
 *        client never got their id (told "nothing was charged")
 * @param driftMicros sum over the fault's accounts of |balance + reserved - (start - ledger charges)|, plus
 *        every settlement whose charge and refund do not add up to its reservation
 */
public record FaultRow(Fault fault, int submitted, int accepted, int succeeded, int failedOrExpired, int notAccepted,
        int lost, int doubleCharged, long driftMicros) {

    public boolean clean() {
        return lost == 0 && doubleCharged == 0 && driftMicros == 0;
    }
}
