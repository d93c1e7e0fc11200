package dev.kiln.worker.jobs;

import java.time.Duration;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.jobs.JobCompleter;
import dev.kiln.common.jobs.JobOutcome;
import dev.kiln.common.jobs.MarkRunningResult;
import dev.kiln.common.jobs.SettleResult;
import dev.kiln.common.redis.ReplicaWait;
import dev.kiln.worker.config.WorkerConfig;
import dev.kiln.worker.health.WorkerState;
import dev.kiln.worker.metrics.WorkerMetrics;

/**
 * Ends a job's stay in the worker: records the outcome through common's {@link JobCompleter}
 * (retrying while Redis is unreachable), then acknowledges the Kafka record — never before, so a
 * crash in between only causes a redelivery that the settle script recognises as already terminal.
 * All methods block (bounded) and run on the worker's own threads.
 */
@ApplicationScoped
public class JobSettler {
    private static final Logger LOG = Logger.getLogger(JobSettler.class);

    private final JobCompleter completer;
    private final ReplicaWait replicaWait;
    private final Duration callTimeout;
    private final Retrier retrier;
    private final WorkerMetrics metrics;
    private final WorkerState state;

    public JobSettler(WorkerRedis redis, WorkerConfig config, WorkerMetrics metrics, WorkerState state) {
        this.completer = redis.completer();
        this.replicaWait = redis.replicaWait();
        this.callTimeout = redis.callTimeout();
        this.retrier = Retrier.sleeping(config.retry(), metrics::retry);
        this.metrics = metrics;
        this.state = state;
    }

    /** Marks the job running (counting an attempt); retried while Redis is unreachable. */
    public MarkRunningResult markRunning(QueuedJob job) throws Exception {
        return retrier.call("mark_running", "mark running " + job.jobId(),
                () -> Retrier.await(completer.markRunning(job.accountId(), job.jobId()), callTimeout));
    }

    /** The images are in S3: charge them and acknowledge. */
    public void succeed(QueuedJob job, List<String> resultKeys) {
        settle(job, "succeeded", () -> Retrier.await(
                completer.complete(JobOutcome.succeeded(job.accountId(), job.jobId(), resultKeys)), callTimeout));
    }

    /** A permanent failure of this job: refund and acknowledge. */
    public void fail(QueuedJob job, String errorCode, String message) {
        LOG.warnf("job %s failed: %s", job.jobId(), message);
        settle(job, "failed", () -> Retrier.await(
                completer.complete(JobOutcome.failed(job.accountId(), job.jobId(), errorCode, message)), callTimeout));
    }

    /** Past its deadline: refund and acknowledge without running. */
    public void expire(QueuedJob job) {
        settle(job, "expired", () -> Retrier.await(
                completer.expire(job.accountId(), job.jobId(), "deadline passed before the job ran"), callTimeout));
    }

    /**
     * The job was taken too often (it keeps killing workers, or keeps being redelivered): fail and
     * refund it, then send its record to the dead-letter topic.
     */
    public void deadLetter(QueuedJob job, int attempts) {
        String reason = "job was started " + attempts + " times without finishing; giving up";
        LOG.errorf("job %s: %s", job.jobId(), reason);
        metrics.failure("attempts");
        try {
            retrier.call("settle", "fail " + job.jobId(), () -> Retrier.await(completer.complete(
                    JobOutcome.failed(job.accountId(), job.jobId(), ErrorCodes.JOB_FAILED, reason)), callTimeout));
        } catch (Exception e) {
            abandon(job, e);
            return;
        }
        metrics.jobFinished("dead_lettered");
        job.message().nack(new PoisonJobException(reason));
    }

    /** Nothing to record (already terminal, or no record): acknowledge. */
    public void skip(QueuedJob job, String why) {
        LOG.infof("skipping job %s: %s", job.jobId(), why);
        metrics.jobFinished("skipped");
        ack(job);
    }

    private void settle(QueuedJob job, String outcome, Retrier.Operation<SettleResult> call) {
        long start = System.nanoTime();
        SettleResult result;
        try {
            result = retrier.call("settle", outcome + " " + job.jobId(), call);
        } catch (Exception e) {
            abandon(job, e);
            return;
        }
        metrics.recordStage("settle", System.nanoTime() - start);
        if (result.outcome() == SettleResult.Outcome.SETTLED) {
            metrics.jobFinished(outcome);
        } else {
            // Another delivery or the API got there first; its settlement stands.
            LOG.infof("job %s was not settled as %s: %s (status %s)", job.jobId(), outcome, result.outcome(),
                    result.status());
            metrics.jobFinished("skipped");
        }
        awaitReplicas(job);
        ack(job);
    }

    /** Bounded: a settlement lost in a failover after the ack would leave the job unsettled until the API's sweeper. */
    private void awaitReplicas(QueuedJob job) {
        try {
            Retrier.await(replicaWait.afterWrites(), callTimeout);
        } catch (Exception e) {
            LOG.warnf("job %s: waiting for Redis replicas failed (%s); acknowledging anyway", job.jobId(), e.toString());
        }
    }

    private void abandon(QueuedJob job, Exception e) {
        // Not acknowledged: after a restart Kafka redelivers it and the settle script stays exactly-once.
        LOG.errorf(e, "job %s: outcome could not be recorded; leaving its record unacknowledged", job.jobId());
        metrics.failure("redis");
        metrics.jobFinished("abandoned");
        state.jobAbandoned();
    }

    private void ack(QueuedJob job) {
        job.message().ack().whenComplete((ignored, error) -> {
            if (error != null) {
                LOG.errorf(error, "acknowledging job %s failed", job.jobId());
            }
        });
    }
}
