package dev.kiln.api.jobs;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

/**
 * A background pass (sweeper, reconciler, ledger mirror) run on a daemon thread of its own at a fixed delay.
 * A pass that throws is logged and skipped, never propagated: Redis or Kafka trouble is retried by the next
 * pass, which starts from where the last completed one left off.
 */
public final class PeriodicPass implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PeriodicPass.class);

    /** One pass; may throw whatever its clients throw. */
    @FunctionalInterface
    public interface Pass {
        void run() throws Exception;
    }

    private final ScheduledExecutorService timer;

    private PeriodicPass(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    /**
     * Starts running {@code pass} every {@code interval}, the first one an interval from now.
     *
     * @param name names the thread ({@code kiln-<name>}) and the log line of a skipped pass
     */
    public static PeriodicPass start(String name, Duration interval, Pass pass) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kiln-" + name);
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> {
            try {
                pass.run();
            } catch (Exception e) {
                LOG.warnf("%s pass skipped: %s", name, e.toString());
            }
        }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        return new PeriodicPass(timer);
    }

    /** Stops the timer and interrupts a pass in flight. */
    @Override
    public void close() {
        timer.shutdownNow();
    }
}
