package dev.kiln.api.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * CPU time of this JVM's threads, grouped by what they do, so a benchmark can tell the API's own
 * cost per request from its load generator's. Threads that end during a segment, and the JVM's
 * hidden threads (JIT compilers, GC), show up together as {@value #UNACCOUNTED}.
 */
final class ThreadCpu {
    static final String LOAD_GENERATOR = "load-generator";
    static final String UNACCOUNTED = "jit+gc+ended";
    private static final String LOAD_GENERATOR_PREFIX = "bench-load-";
    private static final AtomicInteger THREADS = new AtomicInteger();

    private ThreadCpu() {
    }

    /** Names the load generator's threads so they are counted as such. */
    static ThreadFactory loadGeneratorThreads() {
        return r -> {
            Thread t = new Thread(r, LOAD_GENERATOR_PREFIX + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** CPU nanoseconds so far, by live thread id. */
    static Map<Long, Long> snapshot() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<Long, Long> cpu = new HashMap<>();
        for (long id : mx.getAllThreadIds()) {
            long nanos = mx.getThreadCpuTime(id);
            if (nanos >= 0) {
                cpu.put(id, nanos);
            }
        }
        return cpu;
    }

    /** CPU nanoseconds each thread group used since {@code before}; the rest of {@code processNanos} is unaccounted. */
    static Map<String, Long> byGroupSince(Map<Long, Long> before, long processNanos) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<String, Long> byGroup = new TreeMap<>();
        long accounted = 0;
        for (ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            long nanos = t == null ? -1 : mx.getThreadCpuTime(t.getThreadId());
            if (nanos < 0) {
                continue;
            }
            long used = nanos - before.getOrDefault(t.getThreadId(), 0L);
            byGroup.merge(group(t.getThreadName()), used, Long::sum);
            accounted += used;
        }
        byGroup.put(UNACCOUNTED, processNanos - accounted);
        return byGroup;
    }

    static String group(String threadName) {
        if (threadName.startsWith(LOAD_GENERATOR_PREFIX) || threadName.startsWith("HttpClient-")) {
            return LOAD_GENERATOR;
        }
        if (threadName.startsWith("vert.x-eventloop")) {
            return "event-loop";
        }
        if (threadName.startsWith("executor-thread")) {
            return "worker";
        }
        if (threadName.startsWith("lettuce-")) {
            return "lettuce";
        }
        if (threadName.startsWith("kafka-producer-network-thread")) {
            return "kafka-producer";
        }
        if (threadName.startsWith("smallrye-kafka")) {
            return "smallrye-kafka";
        }
        return "other";
    }
}
