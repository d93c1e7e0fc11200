package dev.kiln.api.jobs;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import dev.kiln.api.ApiConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

/**
 * Consumer lag of the worker group on the jobs topic, refreshed in the background by one cached
 * Kafka AdminClient with bounded timeouts, so a submission only reads a number. Partitions the
 * group never committed count from their earliest offset. Also answers whether Kafka is reachable
 * (for readiness).
 */
@ApplicationScoped
public class QueueLagMonitor {
    private static final Logger LOG = Logger.getLogger(QueueLagMonitor.class);

    private final ApiConfig.Queue config;
    private final String bootstrapServers;
    private final MeterRegistry metrics;
    private volatile Admin admin;
    private volatile ScheduledExecutorService refresher;
    private volatile long lag;
    /** About an hour of snapshots at the default refresh period. */
    private final ConsumedWatermark watermark = new ConsumedWatermark(2_000);
    private volatile boolean kafkaReachable;

    public QueueLagMonitor(ApiConfig config, MeterRegistry metrics,
            @ConfigProperty(name = "kafka.bootstrap.servers", defaultValue = "localhost:9092") String bootstrapServers) {
        this.config = config.queue();
        this.metrics = metrics;
        this.bootstrapServers = bootstrapServers;
    }

    void onStart(@Observes StartupEvent event) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) config.adminTimeout().toMillis());
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) config.adminTimeout().toMillis());
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "kiln-api-lag");
        admin = Admin.create(p);
        Gauge.builder("kiln.api.queue.lag", this, m -> m.lag).description("Consumer lag of the worker group, records")
                .register(metrics);
        refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kiln-queue-lag");
            t.setDaemon(true);
            return t;
        });
        refresher.scheduleWithFixedDelay(this::refreshQuietly, 0, config.lagRefresh().toMillis(), TimeUnit.MILLISECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (refresher != null) {
            refresher.shutdownNow();
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(2));
        }
    }

    /** True when the last measured lag exceeds {@code kiln.api.queue.max-lag}. */
    public boolean saturated() {
        return lag > config.maxLag();
    }

    public long lag() {
        return lag;
    }

    /** Result of the last background refresh. */
    public boolean kafkaReachable() {
        return kafkaReachable;
    }

    /** Asks the cluster for its id now, bounded by the admin timeout. */
    public boolean ping() {
        try {
            admin.describeCluster().clusterId().get(config.adminTimeout().toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return false;
        }
    }

    private void refreshQuietly() {
        try {
            refresh();
            kafkaReachable = true;
        } catch (Exception e) {
            kafkaReachable = false;
            LOG.debugf("queue lag refresh failed: %s", e.toString());
        }
    }

    /** Measures the lag now (also used by tests to avoid waiting for the schedule). */
    public long refresh() throws Exception {
        long timeout = config.adminTimeout().toMillis();
        Map<String, TopicDescription> topics = admin.describeTopics(List.of(config.topic()))
                .allTopicNames().get(timeout, TimeUnit.MILLISECONDS);
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        topics.get(config.topic()).partitions().forEach(p -> {
            TopicPartition tp = new TopicPartition(config.topic(), p.partition());
            latest.put(tp, OffsetSpec.latest());
            earliest.put(tp, OffsetSpec.earliest());
        });
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(config.consumerGroup())
                .partitionsToOffsetAndMetadata().get(timeout, TimeUnit.MILLISECONDS);
        // Taken before the end offsets are read: every record produced before it is below them.
        long snapshotMillis = System.currentTimeMillis();
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest)
                .all().get(timeout, TimeUnit.MILLISECONDS);
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts = admin.listOffsets(earliest)
                .all().get(timeout, TimeUnit.MILLISECONDS);
        long total = 0;
        Map<TopicPartition, Long> endOffsets = new HashMap<>();
        Map<TopicPartition, Long> processed = new HashMap<>();
        for (TopicPartition tp : latest.keySet()) {
            OffsetAndMetadata c = committed.get(tp);
            long from = c != null ? c.offset() : starts.get(tp).offset();
            total += Math.max(0, ends.get(tp).offset() - from);
            endOffsets.put(tp, ends.get(tp).offset());
            processed.put(tp, Math.max(from, starts.get(tp).offset()));
        }
        lag = total;
        watermark.record(snapshotMillis, endOffsets, processed);
        return total;
    }

    /**
     * Wall-clock time before which every job record produced to the topic has been processed by the
     * worker group (see {@link ConsumedWatermark}); 0 while unknown. Refreshed with the lag.
     */
    public long consumedBeforeMillis() {
        return watermark.consumedBeforeMillis();
    }
}
