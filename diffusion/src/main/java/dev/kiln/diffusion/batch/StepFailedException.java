package dev.kiln.diffusion.batch;

import java.util.List;

/** A model call failed; the requests it concerned have left the executor (state {@code FAILED}). */
public final class StepFailedException extends RuntimeException {

    private final transient List<RunningRequest> requests;

    StepFailedException(String message, List<RunningRequest> requests, RuntimeException cause) {
        super(message + ": " + cause.getMessage(), cause);
        this.requests = List.copyOf(requests);
    }

    /** The requests of the failed call. */
    public List<RunningRequest> requests() {
        return requests;
    }
}
