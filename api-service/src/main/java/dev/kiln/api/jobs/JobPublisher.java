package dev.kiln.api.jobs;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

import dev.kiln.common.jobs.JobHeaders;
import dev.kiln.common.jobs.JobJson;
import io.smallrye.mutiny.Uni;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

/**
 * Sends job specs to {@code kiln.jobs.v1} (channel {@code jobs-out}): key = job id, value = spec
 * JSON, headers {@code kiln-job-id}, {@code traceparent} and {@link JobHeaders#TIER} (the account's tier, which
 * weights its fair share on the worker). The returned Uni completes when Kafka
 * acknowledged the record (acks=all, idempotent producer; see application.properties).
 */
@ApplicationScoped
public class JobPublisher {
    public static final String HEADER_JOB_ID = "kiln-job-id";
    public static final String HEADER_TRACEPARENT = "traceparent";

    @Inject
    @Channel("jobs-out")
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 1024)
    MutinyEmitter<String> emitter;

    /**
     * @param specJson the job spec as {@link JobJson} renders it (also stored in the job record)
     * @param tier the account's rate tier at admission; no header when null or empty
     */
    public Uni<Void> publish(String jobId, String specJson, String traceparent, String tier, Duration timeout) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(HEADER_JOB_ID, jobId.getBytes(StandardCharsets.UTF_8));
        headers.add(HEADER_TRACEPARENT, traceparent.getBytes(StandardCharsets.UTF_8));
        if (tier != null && !tier.isEmpty()) {
            headers.add(JobHeaders.TIER, tier.getBytes(StandardCharsets.UTF_8));
        }
        OutgoingKafkaRecordMetadata<String> metadata = OutgoingKafkaRecordMetadata.<String> builder()
                .withKey(jobId)
                .withHeaders(headers)
                .build();
        Message<String> message = Message.of(specJson).addMetadata(metadata);
        return emitter.sendMessage(message).ifNoItem().after(timeout).fail();
    }
}
