package dev.kiln.devstack.process;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Bounded waiting for a service to become ready. */
public final class Polling {

    private static final long INTERVAL_MILLIS = 100;

    private Polling() {
    }

    /**
     * Polls {@code condition} until it holds; fails fast when {@code stillAlive} turns false, and after
     * {@code timeout} with a message naming {@code what}.
     */
    public static void await(String what, Duration timeout, BooleanSupplier stillAlive, BooleanSupplier condition) {
        long deadlineNanos = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (condition.getAsBoolean()) {
                return;
            }
            if (!stillAlive.getAsBoolean()) {
                throw new ExitedBeforeReadyException(what);
            }
            if (System.nanoTime() - deadlineNanos > 0) {
                throw new IllegalStateException(what + ": not ready after " + timeout.toSeconds() + " s");
            }
            try {
                Thread.sleep(INTERVAL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(what + ": interrupted while waiting", e);
            }
        }
    }
}
