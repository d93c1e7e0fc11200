package dev.kiln.api.jobs;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;

/**
 * How far the worker group has certainly processed the jobs topic, as a time: every record produced
 * before {@link #consumedBeforeMillis()} has been processed (its offset is committed), and a processed
 * job is never left {@code queued} (a worker marks it running, settles, expires or skips a terminal
 * one). So a job still queued whose Kafka send would have completed before that time never reached
 * Kafka: that is what lets the reconciler fail only jobs whose send is genuinely unconfirmed, and
 * leave alone jobs that merely wait in a long backlog.
 *
 * <p>
 * Fed by the lag monitor: each refresh records (a time taken before the end offsets were read,
 * those end offsets), then compares the group's committed offsets with the recorded snapshots; the
 * newest snapshot every partition has been committed past becomes the watermark. Bounded: at most
 * {@code maxSnapshots} unpassed snapshots are kept (dropping the oldest only makes the watermark
 * advance in coarser steps). Thread-safe.
 */
final class ConsumedWatermark {
    private record Snapshot(long atMillis, Map<TopicPartition, Long> endOffsets) {
    }

    private final int maxSnapshots;
    private final Deque<Snapshot> pending = new ArrayDeque<>();
    private long consumedBeforeMillis;

    ConsumedWatermark(int maxSnapshots) {
        this.maxSnapshots = maxSnapshots;
    }

    /**
     * @param atMillis wall-clock time taken before {@code endOffsets} were read
     * @param endOffsets the topic's end offsets
     * @param processed per partition, the offset below which every record is processed (the group's
     *        committed offset, or the log start where nothing is committed)
     */
    synchronized void record(long atMillis, Map<TopicPartition, Long> endOffsets, Map<TopicPartition, Long> processed) {
        pending.addLast(new Snapshot(atMillis, Map.copyOf(endOffsets)));
        while (!pending.isEmpty() && passed(pending.peekFirst(), processed)) {
            consumedBeforeMillis = Math.max(consumedBeforeMillis, pending.removeFirst().atMillis());
        }
        // Only unpassed snapshots count against the bound, so a passed one is never lost to it.
        while (pending.size() > maxSnapshots) {
            pending.removeFirst();
        }
    }

    /** Every record produced before this wall-clock time is processed; 0 while unknown. */
    synchronized long consumedBeforeMillis() {
        return consumedBeforeMillis;
    }

    private static boolean passed(Snapshot snapshot, Map<TopicPartition, Long> processed) {
        for (Map.Entry<TopicPartition, Long> end : snapshot.endOffsets().entrySet()) {
            Long done = processed.get(end.getKey());
            if (done == null || done < end.getValue()) {
                return false;
            }
        }
        return true;
    }
}
