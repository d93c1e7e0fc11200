package dev.kiln.common.errors;

/**
 * Machine-readable {@code error.code} values shared by the API and the worker (the worker writes
 * some of them into failed job records, the API returns them).
 */
public final class ErrorCodes {
    public static final String INVALID_VALUE = "invalid_value";
    public static final String MISSING_REQUIRED = "missing_required_parameter";
    public static final String UNSUPPORTED_PARAMETER = "unsupported_parameter";
    public static final String INVALID_JSON = "invalid_json";
    public static final String INVALID_IMAGE = "invalid_image";
    public static final String IMAGE_TOO_LARGE = "image_too_large";
    public static final String INVALID_API_KEY = "invalid_api_key";
    public static final String INSUFFICIENT_CREDITS = "insufficient_credits";
    public static final String MODEL_NOT_FOUND = "model_not_found";
    public static final String NOT_FOUND = "not_found";
    public static final String RATE_LIMIT_REQUESTS = "rate_limit_exceeded_requests";
    public static final String RATE_LIMIT_IMAGES = "rate_limit_exceeded_images";
    public static final String IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused";
    /** A top-up reference posted again with a different amount (409). */
    public static final String TOP_UP_REFERENCE_REUSED = "top_up_reference_reused";
    public static final String JOB_NOT_CANCELABLE = "job_not_cancelable";
    public static final String QUEUE_SATURATED = "queue_saturated";
    public static final String BACKEND_UNAVAILABLE = "backend_unavailable";
    public static final String ENQUEUE_FAILED = "enqueue_failed";
    public static final String JOB_FAILED = "job_failed";
    public static final String JOB_EXPIRED = "job_expired";
    public static final String JOB_CANCELED = "job_canceled";
    public static final String INTERNAL = "internal_error";
    public static final String METHOD_NOT_ALLOWED = "method_not_allowed";
    public static final String UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type";
    public static final String BAD_REQUEST = "bad_request";
    public static final String REQUEST_TOO_LARGE = "request_too_large";
    public static final String INVALID_MULTIPART = "invalid_multipart";
    public static final String UNSUPPORTED_IMAGE_URL = "unsupported_image_url";
    /** A synchronous call's wait ran out; the job keeps running and can be polled. */
    public static final String JOB_TIMEOUT = "job_timeout";
    /** Too many synchronous callers or image decodes at once on this instance. */
    public static final String SERVER_BUSY = "server_busy";

    private ErrorCodes() {
    }
}
