package dev.kiln.worker.jobs;

import jakarta.enterprise.context.ApplicationScoped;

import dev.kiln.diffusion.batch.FairAdmissionQueue;
import dev.kiln.worker.batching.StepTimeEstimate;
import dev.kiln.worker.batching.TierWeights;
import dev.kiln.worker.config.WorkerConfig;
import dev.kiln.worker.metrics.WorkerMetrics;
import io.micrometer.core.instrument.Gauge;

/**
 * Jobs accepted from Kafka and waiting to join the step executor: a {@link FairAdmissionQueue} bounded by
 * {@code kiln.worker.batching.max-queued-jobs}, fair between accounts weighted by their tier
 * ({@link TierWeights}, from the record's {@code kiln-tier} header), deadlines first when a job would otherwise
 * miss its own.
 */
@ApplicationScoped
public class JobQueue {

    private final FairAdmissionQueue<QueuedJob> queue;
    private final StepTimeEstimate stepTime;

    public JobQueue(WorkerConfig config, WorkerMetrics metrics) {
        this.stepTime = new StepTimeEstimate(config.batching().initialStepEstimate());
        TierWeights weights = new TierWeights(config.batching().tierWeights());
        this.queue = new FairAdmissionQueue<>(new FairAdmissionQueue.Describer<>() {
            @Override
            public String tenant(QueuedJob job) {
                return job.accountId();
            }

            @Override
            public double weight(QueuedJob job) {
                return weights.weightOf(job.tier());
            }

            @Override
            public int rows(QueuedJob job) {
                return job.rows();
            }

            @Override
            public long deadlineMillis(QueuedJob job) {
                return job.spec().deadlineMillis();
            }

            @Override
            public long estimatedRunMillis(QueuedJob job) {
                return stepTime.millisFor(job.key().executedSteps());
            }
        }, config.batching().maxQueuedJobs(), config.batching().deadlineMargin().toMillis());
        Gauge.builder("kiln.worker.queue.jobs", queue, FairAdmissionQueue::size)
                .description("Jobs waiting to join the step executor").register(metrics.registry());
    }

    public FairAdmissionQueue<QueuedJob> queue() {
        return queue;
    }

    public StepTimeEstimate stepTime() {
        return stepTime;
    }
}
