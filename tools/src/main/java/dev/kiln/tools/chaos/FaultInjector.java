package dev.kiln.tools.chaos;

import java.io.PrintStream;
import java.time.Duration;
import java.util.function.BooleanSupplier;

import dev.kiln.local.LocalKiln;
import dev.kiln.local.process.QuarkusApp;

/**
 * Injects one {@link Fault} into a running {@link LocalKiln} and heals it: returns once the system is whole
 * again (replacement processes ready, S3 reachable), with the same number of workers as before.
 */
final class FaultInjector {

    /** How long to look for a batch in progress before a fault that should land in one is injected anyway. */
    private static final Duration BUSY_WAIT = Duration.ofSeconds(20);

    private final LocalKiln kiln;
    private final Duration s3Outage;
    private final PrintStream log;

    FaultInjector(LocalKiln kiln, Duration s3Outage, PrintStream log) {
        this.kiln = kiln;
        this.s3Outage = s3Outage;
        this.log = log;
    }

    /** @param busy true while some job of the run is {@code running} (so a batch is in hand) */
    void inject(Fault fault, BooleanSupplier busy) {
        switch (fault) {
            case WORKER_KILL -> killWorker(busy);
            case API_KILL -> killApi();
            case REDIS_RESTART -> kiln.stack().restartRedisFromAof();
            case KAFKA_RESTART -> kiln.stack().restartKafka();
            case S3_BLOCK -> blockS3();
            case REBALANCE -> rebalance(busy);
        }
    }

    private void killWorker(BooleanSupplier busy) {
        awaitBusy(busy, "kill -9");
        QuarkusApp doomed = kiln.workers().get(0);
        kiln.killWorker(doomed);
        log.println("  killed " + doomed + "; starting a replacement");
        kiln.startWorker();
    }

    private void killApi() {
        QuarkusApp doomed = kiln.api();
        kiln.killApi();
        log.println("  killed " + doomed + "; starting it again");
        kiln.restartApi();
    }

    private void blockS3() {
        kiln.blockS3();
        try {
            pause(s3Outage);
        } finally {
            kiln.unblockS3();
        }
    }

    /** A new member makes the group rebalance while batches run; its graceful exit later makes a second one. */
    private void rebalance(BooleanSupplier busy) {
        awaitBusy(busy, "rebalance");
        QuarkusApp extra = kiln.startWorker();
        log.println("  " + extra + " joined the group");
        awaitBusy(busy, "second rebalance");
        kiln.stopWorker(extra);
        log.println("  " + extra + " left the group");
    }

    private void awaitBusy(BooleanSupplier busy, String what) {
        long deadlineNanos = System.nanoTime() + BUSY_WAIT.toNanos();
        while (!busy.getAsBoolean()) {
            if (System.nanoTime() - deadlineNanos > 0) {
                log.println("  no batch in progress within " + BUSY_WAIT.toSeconds() + " s; " + what + " anyway");
                return;
            }
            pause(Duration.ofMillis(20));
        }
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
