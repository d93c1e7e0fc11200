package dev.kiln.devstack.process;

/** A service process died while starting, typically because another process took its port first. */
public final class ExitedBeforeReadyException extends IllegalStateException {

    public ExitedBeforeReadyException(String what) {
        super(what + ": the process exited before it was ready");
    }

    /** True when {@code failure} or one of its causes is this exception. */
    public static boolean causedBy(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof ExitedBeforeReadyException) {
                return true;
            }
        }
        return false;
    }
}
