package dev.kiln.worker.storage;

/** S3 did not answer or answered with a server error: worth retrying. */
public class StorageUnavailableException extends RuntimeException {
    public StorageUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
