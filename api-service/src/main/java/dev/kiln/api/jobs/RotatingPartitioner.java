package dev.kiln.api.jobs;

import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.PartitionInfo;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * Spreads job specs over the partitions of {@code kiln.jobs.v1} in turn, one partition per
 * millisecond: records sent within the same millisecond go to the same partition, and the next
 * millisecond that sends anything moves on to the next partition. Partitions without a leader are
 * skipped while others have one.
 *
 * <p>
 * Why not the record key (the job id): hashing scatters the few records of one produce request
 * over every partition, and the broker pays per partition batch (Kafka's sticky partitioner, which
 * keeps them together, cut the CPU of a submission by 13 %;
 * docs/decisions/2026-12-03-rotating-partitioner.md). Why not the
 * sticky partitioner:
 * it stays on a partition until {@code batch.size} bytes (about 27 specs) went to it, so at low load
 * 27 consecutive jobs would queue on one GPU worker while the others idle. Turning every millisecond
 * gives plain round robin at low rates and, at high rates, batches of one millisecond's jobs,
 * spread over all partitions within a few milliseconds; jobs take seconds, so workers stay even.
 * With {@code linger.ms=1} (application.properties) that millisecond's batch also waits to fill: about
 * 11 instead of 3 jobs per produce request at peak.
 */
@RegisterForReflection
public final class RotatingPartitioner implements Partitioner {
    private final LongSupplier clockMillis;
    private long turnMillis = Long.MIN_VALUE;
    private int turn = -1;

    public RotatingPartitioner() {
        this(System::currentTimeMillis);
    }

    RotatingPartitioner(LongSupplier clockMillis) {
        this.clockMillis = clockMillis;
    }

    @Override
    public int partition(String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes, Cluster cluster) {
        int current = turnAt(clockMillis.getAsLong());
        List<PartitionInfo> available = cluster.availablePartitionsForTopic(topic);
        if (!available.isEmpty()) {
            return available.get(Math.floorMod(current, available.size())).partition();
        }
        // None has a leader now: choose among all; the record waits for a leader (bounded by delivery.timeout.ms).
        return Math.floorMod(current, cluster.partitionCountForTopic(topic));
    }

    /** The turn for a record sent at {@code nowMillis}: the previous one's, unless the millisecond changed. */
    private synchronized int turnAt(long nowMillis) {
        if (nowMillis != turnMillis) {
            turnMillis = nowMillis;
            turn++;
        }
        return turn;
    }

    @Override
    public void configure(Map<String, ?> configs) {
    }

    @Override
    public void close() {
    }
}
