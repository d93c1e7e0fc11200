package dev.kiln.common.jobs;

import java.util.List;
import java.util.Objects;

import dev.kiln.common.errors.ErrorCodes;

/**
 * What a worker reports when a job ends. Build one with the factory methods.
 *
 * @param accountId owning account (from the {@link JobSpec})
 * @param jobId job id
 * @param status {@link JobStatus#SUCCEEDED} or {@link JobStatus#FAILED}
 * @param resultKeys S3 keys of the images produced, in order; their count is what is charged
 * @param errorCode why it failed ({@link ErrorCodes}), null on success
 * @param errorMessage human-readable reason, null on success
 */
public record JobOutcome(String accountId, String jobId, JobStatus status, List<String> resultKeys,
        String errorCode, String errorMessage) {

    public JobOutcome {
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(jobId, "jobId");
        if (status != JobStatus.SUCCEEDED && status != JobStatus.FAILED) {
            throw new IllegalArgumentException("a worker outcome is succeeded or failed, not " + status);
        }
        resultKeys = List.copyOf(resultKeys);
    }

    /**
     * All or some images were produced; only {@code resultKeys.size()} images are charged, the rest
     * of the reservation is refunded.
     */
    public static JobOutcome succeeded(String accountId, String jobId, List<String> resultKeys) {
        if (resultKeys.isEmpty()) {
            throw new IllegalArgumentException("a success produces at least one image; use failed()");
        }
        return new JobOutcome(accountId, jobId, JobStatus.SUCCEEDED, resultKeys, null, null);
    }

    /** Nothing usable was produced; the whole reservation is refunded. */
    public static JobOutcome failed(String accountId, String jobId, String errorCode, String errorMessage) {
        return new JobOutcome(accountId, jobId, JobStatus.FAILED, List.of(),
                errorCode == null ? ErrorCodes.JOB_FAILED : errorCode, errorMessage);
    }

    public int imagesProduced() {
        return resultKeys.size();
    }
}
