package dev.kiln.worker.storage;

/** The object is not there (or is not a usable input): retrying cannot help, the job fails. */
public class MissingObjectException extends RuntimeException {
    public MissingObjectException(String message) {
        super(message);
    }
}
