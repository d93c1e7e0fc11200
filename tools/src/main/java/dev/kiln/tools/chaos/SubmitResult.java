package dev.kiln.tools.chaos;

/**
 * How a {@link PlannedJob}'s submission ended.
 *
 * @param job the request
 * @param jobId the job id of the 202 answer, or null when no attempt was accepted
 * @param attempts HTTP attempts made (1 when the first was accepted)
 * @param failure why it was not accepted (last status and body, or the I/O error), or null
 */
public record SubmitResult(PlannedJob job, String jobId, int attempts, String failure) {

    public boolean accepted() {
        return jobId != null;
    }
}
