package dev.kiln.api.errors;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Unwrapping of the wrappers that CompletionStages and futures put around a failure. */
public final class Failures {
    private Failures() {
    }

    /** The failure behind the {@link CompletionException}s and {@link ExecutionException}s around it. */
    public static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }
}
