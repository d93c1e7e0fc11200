package dev.kiln.worker.jobs;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.jobs.JobHeaders;
import dev.kiln.common.jobs.JobJson;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.common.redis.RedisKeys;
import dev.kiln.diffusion.batch.FairAdmissionQueue;
import dev.kiln.worker.batching.CompatibilityKey;
import dev.kiln.worker.metrics.WorkerMetrics;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;

/**
 * Consumes {@code kiln.jobs.v1} (channel {@code jobs-in}). Each record is parsed and handed, with its
 * {@code kiln-tier} header (the account's tier, which weights its fair share), to the bounded admission queue; the returned
 * stage completes once the queue accepted the job, and SmallRye
 * delivers the next record only then — that is the back-pressure. The record itself is acknowledged
 * (manual ack: the method takes a {@link Message}) much later, by {@link JobSettler}, once the job's
 * outcome is durable; the connector's {@code throttled} commit strategy commits only the contiguous
 * acknowledged prefix of each partition.
 *
 * <p>
 * A record that is not a job spec is nacked, which the connector's {@code dead-letter-queue}
 * failure strategy sends to {@code kiln.jobs.dlq.v1}. A well-formed spec that cannot run (unknown
 * scheduler, bad size) is failed and refunded.
 */
@ApplicationScoped
public class JobIntake {
    /** The SmallRye channel mapped to {@code kiln.jobs.v1} in application.properties. */
    public static final String CHANNEL = "jobs-in";

    private static final Logger LOG = Logger.getLogger(JobIntake.class);
    private static final Duration PUT_SLICE = Duration.ofSeconds(5);

    private final JobQueue queue;
    private final JobSettler settler;
    private final WorkerMetrics metrics;
    // One thread: records arrive one at a time, and waiting for queue space must not block the event loop.
    private final ExecutorService intake = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "kiln-intake");
        t.setDaemon(true);
        return t;
    });

    public JobIntake(JobQueue queue, JobSettler settler, WorkerMetrics metrics) {
        this.queue = queue;
        this.settler = settler;
        this.metrics = metrics;
    }

    @Incoming(CHANNEL)
    public CompletionStage<Void> receive(Message<String> message) {
        JobSpec spec;
        try {
            spec = JobJson.specFromJson(message.getPayload());
            RedisKeys.job(spec.accountId(), spec.jobId());
        } catch (RuntimeException e) {
            metrics.failure("malformed");
            LOG.warnf("dead-lettering a malformed job record: %s", e.getMessage());
            return message.nack(new MalformedJobException(e.getMessage(), e));
        }
        CompatibilityKey key;
        try {
            key = BatchKeys.of(spec);
        } catch (IllegalArgumentException e) {
            metrics.failure("invalid_spec");
            QueuedJob job = new QueuedJob(spec, message, null, tierOf(message));
            return CompletableFuture.runAsync(() -> settler.fail(job, ErrorCodes.INVALID_VALUE,
                    "job cannot run: " + e.getMessage()), intake);
        }
        QueuedJob job = new QueuedJob(spec, message, key, tierOf(message));
        return CompletableFuture.runAsync(() -> admit(job), intake);
    }

    /** The {@link JobHeaders#TIER} header, or null (a record from before the header, or not from Kafka). */
    static String tierOf(Message<?> message) {
        return message.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(metadata -> metadata.getHeaders().lastHeader(JobHeaders.TIER))
                .map(header -> header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8))
                .filter(tier -> !tier.isEmpty())
                .orElse(null);
    }

    private void admit(QueuedJob job) {
        try {
            while (true) {
                FairAdmissionQueue.Admission admission = queue.queue().put(job, PUT_SLICE.toMillis(),
                        TimeUnit.MILLISECONDS);
                switch (admission) {
                    case ACCEPTED:
                        return;
                    case CLOSED:
                        // Shutting down: unacknowledged, so Kafka redelivers it to another worker.
                        LOG.debugf("admission queue closed; job %s left for redelivery", job.jobId());
                        return;
                    case QUEUE_FULL:
                        break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @PreDestroy
    void close() {
        intake.shutdownNow();
    }
}
