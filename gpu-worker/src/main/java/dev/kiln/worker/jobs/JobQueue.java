package dev.kiln.worker.jobs;

import dev.kiln.worker.batching.DynamicBatcher;
import dev.kiln.worker.config.WorkerConfig;
import dev.kiln.worker.metrics.WorkerMetrics;
import io.micrometer.core.instrument.Gauge;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * The worker's {@link DynamicBatcher}: bounded by {@code kiln.worker.batching.max-queued-jobs},
 * dropping jobs whose deadline passed while queued (they are expired and refunded, not run).
 */
@ApplicationScoped
public class JobQueue {
    private static final Logger LOG = Logger.getLogger(JobQueue.class);

    private final DynamicBatcher<QueuedJob> batcher;

    public JobQueue(WorkerConfig config, WorkerMetrics metrics, SettleStage settle) {
        this.batcher = DynamicBatcher.builder(config.batching().policy(), QueuedJob::key, j -> j.spec().n())
                // A wall-clock comparison: cheap enough for the batcher's lock. Cancellation is checked
                // against the job record (markRunning) when the batch starts.
                .dropDeadJobs(job -> job.pastDeadline(System.currentTimeMillis()), job -> {
                    try {
                        settle.expire(job);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        LOG.warnf("interrupted while expiring job %s; left for redelivery", job.jobId());
                    }
                })
                .listener(metrics)
                .build();
        Gauge.builder("kiln.worker.queue.jobs", batcher, DynamicBatcher::queuedJobs)
                .description("Jobs waiting in the batcher").register(metrics.registry());
    }

    public DynamicBatcher<QueuedJob> batcher() {
        return batcher;
    }
}
