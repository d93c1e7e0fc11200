package dev.kiln.worker.jobs;

/** A retryable operation kept failing past its bound. */
public class RetriesExhaustedException extends Exception {
    public RetriesExhaustedException(String message, Throwable cause) {
        super(message, cause);
    }
}
