package dev.kiln.common.jobs;

/**
 * Kafka record headers of {@code kiln.jobs.v1} that the API sets and the worker reads. They carry what is not
 * part of the job itself (the spec in the record value is what the job record stores).
 */
public final class JobHeaders {
    /**
     * The account's rate tier at admission (the submit script's resolved tier, e.g. {@code free},
     * {@code standard}, {@code enterprise}); the worker weights its fair share between accounts by it. Absent
     * on records published before it existed: the worker then uses weight 1.
     */
    public static final String TIER = "kiln-tier";

    private JobHeaders() {
    }
}
