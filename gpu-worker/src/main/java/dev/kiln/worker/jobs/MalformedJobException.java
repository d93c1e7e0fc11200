package dev.kiln.worker.jobs;

/** A record on the jobs topic that is not a job spec; it goes to the dead-letter topic. */
public class MalformedJobException extends RuntimeException {
    public MalformedJobException(String message, Throwable cause) {
        super(message, cause);
    }
}
