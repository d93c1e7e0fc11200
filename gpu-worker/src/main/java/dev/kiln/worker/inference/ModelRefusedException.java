package dev.kiln.worker.inference;

/** The configured model cannot be served: missing, or a test model without the dev flag. The worker never gets ready. */
public class ModelRefusedException extends RuntimeException {
    public ModelRefusedException(String message) {
        super(message);
    }
}
