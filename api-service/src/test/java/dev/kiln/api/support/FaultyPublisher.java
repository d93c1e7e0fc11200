package dev.kiln.api.support;

import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;

import dev.kiln.api.jobs.JobPublisher;
import io.smallrye.mutiny.Uni;

/**
 * The real publisher, with faults a test can queue: each queued fault applies to one send, in order.
 * Without queued faults it only delegates, so every test of the module may run with it.
 */
@Alternative
@Priority(1)
@ApplicationScoped
public class FaultyPublisher extends JobPublisher {
    /** What happens to one send. */
    public enum Fault {
        /** The send fails before anything reaches Kafka (a broker that is down). */
        FAIL,
        /** The record reaches Kafka but the send reports a failure (a lost acknowledgement). */
        SEND_THEN_FAIL
    }

    private static final Queue<Fault> FAULTS = new ConcurrentLinkedQueue<>();
    private static volatile Consumer<String> beforeReportingFailure = jobId -> {
    };

    /** Queues a fault for the next send without one. */
    public static void inject(Fault fault) {
        FAULTS.add(fault);
    }

    /** Runs before a {@link Fault#SEND_THEN_FAIL} reports its failure (e.g. a worker taking the job). */
    public static void beforeReportingFailure(Consumer<String> action) {
        beforeReportingFailure = action;
    }

    public static void reset() {
        FAULTS.clear();
        beforeReportingFailure = jobId -> {
        };
    }

    @Override
    public Uni<Void> publish(String jobId, String specJson, String traceparent, String tier, Duration timeout) {
        Fault fault = FAULTS.poll();
        if (fault == null) {
            return super.publish(jobId, specJson, traceparent, tier, timeout);
        }
        if (fault == Fault.FAIL) {
            return Uni.createFrom().failure(new IllegalStateException("injected: broker unavailable"));
        }
        return super.publish(jobId, specJson, traceparent, tier, timeout)
                .invoke(() -> beforeReportingFailure.accept(jobId))
                .chain(() -> Uni.createFrom().failure(new IllegalStateException("injected: acknowledgement lost")));
    }
}
