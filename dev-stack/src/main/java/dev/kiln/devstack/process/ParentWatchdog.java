package dev.kiln.devstack.process;

import java.io.IOException;
import java.io.InputStream;

/**
 * Runs inside a child JVM: ends the JVM when its standard input reaches end-of-file.
 *
 * <p>
 * The parent holds the only write end of the child's stdin pipe, so EOF means the parent closed it
 * (a normal stop) or the parent died, even by {@code kill -9}, since the kernel closes the pipe then.
 * This is how no service outlives the JVM that started it, without PR_SET_PDEATHSIG (which fires when
 * the forking <em>thread</em> exits, not the process).
 *
 * <p>
 * Self-contained on purpose: its class file is copied next to the launched service, without the rest
 * of the library.
 */
public final class ParentWatchdog implements Runnable {

    /** How long shutdown hooks may run after EOF before the JVM is halted. */
    static final long EXIT_GRACE_MILLIS = Long.getLong("kiln.devstack.exit-grace-millis", 5_000L);

    private ParentWatchdog() {
    }

    /** Starts the watchdog thread; returns at once. */
    public static void install() {
        Thread thread = new Thread(new ParentWatchdog(), "kiln-parent-watchdog");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void run() {
        byte[] buffer = new byte[256];
        try (InputStream in = System.in) {
            while (in.read(buffer) >= 0) {
                // The parent never writes; anything it might send is ignored.
            }
        } catch (IOException e) {
            // A broken pipe means the same as EOF: the parent is gone.
        }
        Thread halter = new Thread(ParentWatchdog::haltAfterGrace, "kiln-parent-watchdog-halt");
        halter.setDaemon(true);
        halter.start();
        System.exit(0);
    }

    private static void haltAfterGrace() {
        try {
            Thread.sleep(EXIT_GRACE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // A shutdown hook that hangs (e.g. a broker waiting for a controlled shutdown) must not keep us alive.
        Runtime.getRuntime().halt(0);
    }
}
