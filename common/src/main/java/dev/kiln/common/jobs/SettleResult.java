package dev.kiln.common.jobs;

/**
 * Result of a settling script run ({@code settle.lua}).
 *
 * @param outcome what happened
 * @param status the job's status after the call (null when {@link Outcome#MISSING})
 * @param chargedMicros amount charged for this job (by this call, or by the earlier one that settled it)
 * @param refundedMicros amount refunded for this job (likewise)
 */
public record SettleResult(Outcome outcome, JobStatus status, long chargedMicros, long refundedMicros) {

    public enum Outcome {
        /** This call moved the job to its terminal state and settled the money. */
        SETTLED,
        /** The job was already terminal; nothing changed (safe redelivery). */
        ALREADY_TERMINAL,
        /** The job is in a state the transition does not start from (e.g. cancel of a running job). */
        NOT_ALLOWED,
        /** No such job record (never submitted, or its TTL passed). */
        MISSING
    }
}
