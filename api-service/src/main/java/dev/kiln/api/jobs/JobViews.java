package dev.kiln.api.jobs;

import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import dev.kiln.api.errors.ApiException;
import dev.kiln.api.storage.ObjectStore;
import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.errors.ErrorType;
import dev.kiln.common.jobs.JobRecord;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.common.jobs.JobStatus;
import dev.kiln.common.jobs.ProgressEvent;

/** Renders job records: the job object (202s, polling) and the OpenAI images response. */
@ApplicationScoped
public class JobViews {
    private final ObjectStore store;

    public JobViews(ObjectStore store) {
        this.store = store;
    }

    /** {@code {"id","object":"image.job","status","created","model","n","seed",["result"],["error"]}} with URLs. */
    public Map<String, Object> job(JobRecord r) {
        return job(r, ResponseFormat.URL);
    }

    /** The job object with its result as {@code url} or {@code b64_json} (blocking for b64_json: reads S3). */
    public Map<String, Object> job(JobRecord r, ResponseFormat responseFormat) {
        JobSpec spec = r.spec();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.jobId());
        m.put("object", "image.job");
        m.put("status", r.status().wire());
        m.put("created", r.createdMillis() / 1000);
        m.put("model", spec.model());
        m.put("n", r.n());
        m.put("seed", spec.seed());
        if (r.status() == JobStatus.SUCCEEDED) {
            m.put("result", images(r, responseFormat));
        }
        if (r.errorCode() != null) {
            m.put("error", Map.of("code", r.errorCode(), "message", r.errorMessage() == null ? "" : r.errorMessage()));
        }
        return m;
    }

    /** {@code {"step", "steps"}} of a running job, as the job object's {@code progress}. */
    public static Map<String, Object> progress(ProgressEvent event) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", event.step());
        m.put("steps", event.steps());
        return m;
    }

    /** The job object of a job this instance just queued, built from its spec (no Redis read). */
    public Map<String, Object> queued(JobSpec spec) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", spec.jobId());
        m.put("object", "image.job");
        m.put("status", JobStatus.QUEUED.wire());
        m.put("created", spec.createdAtMillis() / 1000);
        m.put("model", spec.model());
        m.put("n", spec.n());
        m.put("seed", spec.seed());
        return m;
    }

    /**
     * OpenAI's images response plus {@code id} and {@code seed}. Blocking for b64_json (reads S3):
     * call it on a worker or the store's I/O executor.
     */
    public Map<String, Object> images(JobRecord r, ResponseFormat responseFormat) {
        List<Map<String, Object>> data = new ArrayList<>();
        for (String key : r.resultKeys()) {
            try {
                data.add(responseFormat == ResponseFormat.B64_JSON
                        ? Map.of("b64_json", Base64.getEncoder().encodeToString(store.get(key)))
                        : Map.of("url", store.presignedGet(key)));
            } catch (Exception e) {
                throw new ApiException(ErrorType.SERVICE_UNAVAILABLE, "Result storage is temporarily unavailable.",
                        null, ErrorCodes.BACKEND_UNAVAILABLE, Map.of("Retry-After", "1"));
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("created", r.createdMillis() / 1000);
        m.put("data", data);
        m.put("id", r.jobId());
        m.put("seed", r.spec().seed());
        return m;
    }

    /**
     * The error a synchronous caller gets for a job that ended without images. A failed or expired job
     * was refunded, so a retry is a fresh, possibly successful attempt ({@code x-should-retry: true}),
     * unless the worker failed it for its input, which a retry would repeat; a canceled job stays canceled.
     */
    public static ApiException terminalError(JobRecord r) {
        String message = r.errorMessage() == null ? "The job " + r.status().wire() + "." : r.errorMessage();
        return switch (r.status()) {
            case EXPIRED -> new ApiException(ErrorType.SERVICE_UNAVAILABLE, message, null,
                    r.errorCode() == null ? ErrorCodes.JOB_EXPIRED : r.errorCode());
            case CANCELED -> new ApiException(ErrorType.CONFLICT, message, null, ErrorCodes.JOB_CANCELED);
            default -> new ApiException(ErrorType.SERVER, message, null,
                    r.errorCode() == null ? ErrorCodes.JOB_FAILED : r.errorCode())
                    .retryable(r.errorCode() == null || !INPUT_FAILURES.contains(r.errorCode()));
        };
    }

    /** Worker error codes that blame the request, not the worker. */
    private static final Set<String> INPUT_FAILURES = Set.of(ErrorCodes.INVALID_IMAGE, ErrorCodes.INVALID_VALUE);
}
