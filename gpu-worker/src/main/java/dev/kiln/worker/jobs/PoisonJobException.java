package dev.kiln.worker.jobs;

/** Why a record went to the dead-letter topic (the connector adds the message as a header). */
public class PoisonJobException extends RuntimeException {
    public PoisonJobException(String message) {
        super(message);
    }
}
