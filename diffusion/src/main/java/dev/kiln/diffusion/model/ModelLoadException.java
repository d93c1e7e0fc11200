package dev.kiln.diffusion.model;

/** A model directory that is missing, incomplete or malformed; the message names the file. */
public final class ModelLoadException extends RuntimeException {

    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
