package dev.kiln.api.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.junit.jupiter.api.Test;

class RotatingPartitionerTest {
    private static final String TOPIC = "kiln.jobs.v1";
    private static final Node BROKER = new Node(1, "localhost", 9092);

    private final AtomicLong nowMillis = new AtomicLong(1_000);
    private final RotatingPartitioner partitioner = new RotatingPartitioner(nowMillis::get);

    @Test
    void keepsRecordsOfTheSameMillisecondOnOnePartition() {
        Cluster cluster = cluster(4, Set.of());
        int first = send(cluster);
        assertEquals(List.of(first, first, first), List.of(send(cluster), send(cluster), send(cluster)));
    }

    @Test
    void movesToTheNextPartitionEachMillisecondThatSends() {
        Cluster cluster = cluster(4, Set.of());
        List<Integer> partitions = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            nowMillis.addAndGet(7);
            partitions.add(send(cluster));
        }
        assertEquals(List.of(0, 1, 2, 3, 0, 1, 2, 3), partitions);
    }

    @Test
    void skipsPartitionsWithoutALeader() {
        Cluster cluster = cluster(4, Set.of(1, 2));
        List<Integer> partitions = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            nowMillis.incrementAndGet();
            partitions.add(send(cluster));
        }
        assertEquals(List.of(0, 3, 0, 3), partitions);
    }

    @Test
    void rotatesOverAllPartitionsWhenNoneHasALeader() {
        Cluster cluster = cluster(3, Set.of(0, 1, 2));
        List<Integer> partitions = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            nowMillis.incrementAndGet();
            partitions.add(send(cluster));
        }
        assertEquals(List.of(0, 1, 2, 0), partitions);
    }

    private int send(Cluster cluster) {
        return partitioner.partition(TOPIC, "img_x", new byte[0], "{}", new byte[0], cluster);
    }

    private static Cluster cluster(int partitions, Set<Integer> leaderless) {
        List<PartitionInfo> infos = IntStream.range(0, partitions)
                .mapToObj(p -> new PartitionInfo(TOPIC, p, leaderless.contains(p) ? null : BROKER,
                        new Node[] { BROKER }, new Node[] { BROKER }))
                .toList();
        return new Cluster("kiln", List.of(BROKER), infos, Set.of(), Set.of());
    }
}
