package dev.kiln.worker.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.assertj.core.groups.Tuple;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.kiln.common.jobs.JobHeaders;
import dev.kiln.common.jobs.JobJson;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.diffusion.batch.FairAdmissionQueue;
import dev.kiln.worker.config.WorkerConfig;
import dev.kiln.worker.metrics.WorkerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;

/** Records' {@code kiln-tier} header through the intake into the admission queue's weights. */
class TierWeightedIntakeTest {

    private final JobQueue queue = new JobQueue(config(Map.of()), new WorkerMetrics(new SimpleMeterRegistry()));
    // The settler is only used for invalid specs, which these tests do not send.
    private final JobIntake intake = new JobIntake(queue, null, new WorkerMetrics(new SimpleMeterRegistry()));
    private long offset;

    @AfterEach
    void close() {
        intake.close();
    }

    private static WorkerConfig config(Map<String, String> properties) {
        return new SmallRyeConfigBuilder()
                .withMapping(WorkerConfig.class)
                .withConverter(Duration.class, 200, new DurationConverter())
                .withDefaultValues(Map.of("kiln.worker.s3.access-key", "unused", "kiln.worker.s3.secret-key", "unused"))
                .withDefaultValues(properties)
                .build().getConfigMapping(WorkerConfig.class);
    }

    /** A one-image guided job (2 rows) without a deadline, as a Kafka record with the tier header if given. */
    private Message<String> record(String account, String jobId, String tier) {
        JobSpec spec = new JobSpec(JobSpec.SCHEMA_VERSION, jobId, account, JobSpec.MODE_TXT2IMG, "sd-1.5", "a fox",
                null, 1, 32, 32, 4, 7.5, null, 1L, "pndm", null, 0L, 0L);
        ConsumerRecord<String, String> record = new ConsumerRecord<>("kiln.jobs.v1", 0, offset++, jobId,
                JobJson.toJson(spec));
        if (tier != null) {
            record.headers().add(JobHeaders.TIER, tier.getBytes(StandardCharsets.UTF_8));
        }
        return Message.of(record.value()).addMetadata(new IncomingKafkaRecordMetadata<>(record, JobIntake.CHANNEL));
    }

    private void receive(Message<String> message) throws Exception {
        intake.receive(message).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private List<QueuedJob> drain() {
        List<QueuedJob> out = new ArrayList<>();
        Optional<FairAdmissionQueue.Taken<QueuedJob>> next;
        while ((next = queue.queue().poll(job -> true, System.currentTimeMillis())).isPresent()) {
            out.add(next.get().item());
        }
        return out;
    }

    @Test
    void carriesTheRecordsTierHeaderIntoTheAdmissionQueue() throws Exception {
        receive(record("acct-e", "img_e", "enterprise"));
        receive(record("acct-x", "img_x", null));

        assertThat(drain()).extracting(QueuedJob::jobId, QueuedJob::tier)
                .containsExactlyInAnyOrder(Tuple.tuple("img_e", "enterprise"),
                        Tuple.tuple("img_x", null));
    }

    @Test
    void admitsAnEnterpriseAccountFourTimesAsOftenAsAFreeAccountUnderContention() throws Exception {
        for (int i = 0; i < 20; i++) {
            receive(record("acct-free", "img_f" + i, "free"));
            receive(record("acct-ent", "img_e" + i, "enterprise"));
        }

        List<String> firstTen = drain().subList(0, 10).stream().map(QueuedJob::tier).toList();

        assertThat(firstTen).filteredOn("enterprise"::equals).hasSize(8);
        assertThat(firstTen).filteredOn("free"::equals).hasSize(2);
    }
}
