package dev.kiln.api.bench;

import dev.kiln.api.support.Kiln;
import dev.kiln.devstack.quarkus.DevStackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Closed-loop load against async submissions ({@code Prefer: respond-async}) and a bare endpoint in
 * the same JVM and run, plus Redis command statistics per accepted submission. Not a test: runs only
 * with {@code -Dkiln.bench=true} (see docs/benchmarks.md, section API).
 */
@QuarkusTest
@TestProfile(ApiBenchmark.NoSaturation.class)
@QuarkusTestResource(value = DevStackTestResource.class, restrictToAnnotatedClass = true)
@EnabledIfSystemProperty(named = "kiln.bench", matches = "true")
class ApiBenchmark {
    /** The benchmark fills the queue (no worker consumes it); keep the saturation guard out of the way. */
    public static class NoSaturation implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("kiln.api.queue.max-lag", "100000000", "quarkus.log.category.\"dev.kiln\".level", "WARN");
        }
    }

    private static final int CONNECTIONS = Integer.getInteger("kiln.bench.connections", 32);
    private static final int SECONDS = Integer.getInteger("kiln.bench.seconds", 15);
    /** The closed-loop seconds of each endpoint are split into this many alternating segments. */
    private static final int ROUNDS = Integer.getInteger("kiln.bench.rounds", 5);
    /**
     * When true, this JVM (API and load generator) runs on CPU 0 and the dev stack (Kafka, Redis,
     * s3proxy) on CPU 1, as in production where the backends have machines of their own: the API's
     * own cost, not its backends', then decides what submit/bare costs.
     */
    private static final boolean PIN_STACK = Boolean.getBoolean("kiln.bench.pin-stack");
    /** Warm-up per endpoint before anything is measured, in the same alternating rounds. */
    private static final int WARMUP_SECONDS = Integer.getInteger("kiln.bench.warmup-seconds", 30);
    /** When > 0, also an open-loop run at this many requests/s per endpoint (latency from the scheduled send time). */
    private static final int RATE = Integer.getInteger("kiln.bench.rate", 0);
    private static final String BODY = "{\"prompt\":\"a lighthouse at dusk\",\"n\":1,\"size\":\"512x512\"}";

    @TestHTTPResource("/v1/images/generations")
    URI submit;
    @TestHTTPResource("/bench/bare")
    URI bare;

    /**
     * CPU per request is what survives a busy shared machine: throughput and latency move with other
     * people's builds, CPU time spent per request much less. {@code jvm} is this JVM (API and load
     * generator), {@code stack} the dev stack's child processes (Kafka broker, Redis, s3proxy).
     */
    record Result(String name, long requests, Map<Integer, Long> statuses, double perSecond, double p50Ms, double p99Ms,
                  double jvmCpuMicrosPerRequest, double stackCpuMicrosPerRequest) {
        @Override
        public String toString() {
            return String.format("%-8s requests=%d statuses=%s req/s=%.0f p50=%.2fms p99=%.2fms cpu/req: jvm=%.0fus stack=%.0fus",
                    name, requests, statuses, perSecond, p50Ms, p99Ms, jvmCpuMicrosPerRequest, stackCpuMicrosPerRequest);
        }
    }

    private static void pinStackApart() throws Exception {
        taskset("0", ProcessHandle.current().pid());
        for (ProcessHandle child : ProcessHandle.current().descendants().toList()) {
            taskset("1", child.pid());
        }
    }

    /** Pins every thread of the process to the CPU list (util-linux taskset; threads started later inherit it). */
    private static void taskset(String cpus, long pid) throws Exception {
        Process p = new ProcessBuilder("taskset", "-a", "-p", "-c", cpus, Long.toString(pid))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("taskset failed for " + pid + ": " + out);
        }
    }

    /** CPU nanoseconds used so far by this JVM and by its descendant processes (the dev stack). */
    private static long[] cpuNanos() {
        long jvm = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
        long children = ProcessHandle.current().descendants()
                .mapToLong(p -> p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L)).sum();
        return new long[]{jvm, children};
    }

    private static Result withCpu(String name, long requests, Map<Integer, Long> statuses, double perSecond,
                                  double p50Ms, double p99Ms, long[] cpuBefore) {
        long[] cpuAfter = cpuNanos();
        double n = Math.max(1, requests);
        return new Result(name, requests, statuses, perSecond, p50Ms, p99Ms,
                (cpuAfter[0] - cpuBefore[0]) / 1e3 / n, (cpuAfter[1] - cpuBefore[1]) / 1e3 / n);
    }

    @Test
    void asyncSubmissionsAgainstABareEndpoint() throws Exception {
        Kiln.Account a = Kiln.account("invoiced", "unlimited", 0);
        if (PIN_STACK) {
            pinStackApart();
        }
        // Warm until the JIT is done with both paths: with a 3 s warm-up, C2 still took a fifth of the
        // 2 vCPUs during the measured submit phase (perf), which is start-up cost, not cost per request.
        for (int round = 0; round < ROUNDS; round++) {
            run(bare, null, WARMUP_SECONDS / ROUNDS);
            run(submit, a, WARMUP_SECONDS / ROUNDS);
        }
        long jitMillisBefore = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
        // Alternate short segments so both endpoints see the same machine: on shared vCPUs the speed of
        // the host drifts over a minute by more than the difference being measured.
        Segments bareRuns = new Segments("bare");
        Segments submitRuns = new Segments("submit");
        Kiln.redis().configResetstat();
        for (int round = 0; round < ROUNDS; round++) {
            bareRuns.add(run(bare, null, SECONDS / ROUNDS));
            submitRuns.add(run(submit, a, SECONDS / ROUNDS));
        }
        String stats = Kiln.redis().info("commandstats");
        long jitMillis = ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - jitMillisBefore;
        if (RATE > 0) {
            System.out.println("BENCH open loop at " + RATE + " req/s");
            System.out.println("BENCH " + runAtRate("bare@" + RATE, bare, null, SECONDS, RATE));
            System.out.println("BENCH " + runAtRate("submit@" + RATE, submit, a, SECONDS, RATE));
        }
        Result bareResult = bareRuns.result();
        Result submitResult = submitRuns.result();
        long accepted = submitResult.statuses().getOrDefault(202, 0L);
        System.out.println("BENCH connections=" + CONNECTIONS + " seconds=" + SECONDS + " rounds=" + ROUNDS
                + " pin-stack=" + PIN_STACK
                + " warmup-seconds=" + WARMUP_SECONDS + " JIT compilation during the measured segments=" + jitMillis + " ms");
        System.out.println("BENCH " + bareResult);
        System.out.println("BENCH " + submitResult);
        System.out.printf("BENCH submit/bare: throughput %.1f %%, cpu per request %.2fx%n",
                100 * submitResult.perSecond() / bareResult.perSecond(),
                (submitResult.jvmCpuMicrosPerRequest() + submitResult.stackCpuMicrosPerRequest())
                        / (bareResult.jvmCpuMicrosPerRequest() + bareResult.stackCpuMicrosPerRequest()));
        System.out.println("BENCH accepted submissions=" + accepted + " jobs in Redis=" + a.jobCount());
        stats.lines().filter(l -> l.startsWith("cmdstat_")).forEach(l -> {
            long calls = Long.parseLong(l.replaceAll("^[^:]*:calls=(\\d+),.*", "$1"));
            System.out.printf("BENCH %s  per accepted submission=%.3f%n", l, accepted == 0 ? 0.0 : (double) calls / accepted);
        });
    }

    /** One closed-loop segment: latencies (nanos), statuses, wall and CPU time. */
    record Segment(long[] latencies, Map<Integer, Long> statuses, long elapsedNanos, long jvmCpuNanos,
                   long stackCpuNanos) {
    }

    /** The segments of one endpoint, summed into one result. */
    static final class Segments {
        private final String name;
        private final List<Segment> segments = new ArrayList<>();

        Segments(String name) {
            this.name = name;
        }

        void add(Segment s) {
            segments.add(s);
        }

        Result result() {
            long[] all = segments.stream().flatMapToLong(s -> Arrays.stream(s.latencies())).sorted().toArray();
            Map<Integer, Long> statuses = new TreeMap<>();
            segments.forEach(s -> s.statuses().forEach((k, v) -> statuses.merge(k, v, Long::sum)));
            double seconds = segments.stream().mapToLong(Segment::elapsedNanos).sum() / 1e9;
            double n = Math.max(1, all.length);
            return new Result(name, all.length, statuses, all.length / seconds, percentile(all, 0.50) / 1e6,
                    percentile(all, 0.99) / 1e6, segments.stream().mapToLong(Segment::jvmCpuNanos).sum() / 1e3 / n,
                    segments.stream().mapToLong(Segment::stackCpuNanos).sum() / 1e3 / n);
        }
    }

    private Segment run(URI uri, Kiln.Account account, int seconds) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newFixedThreadPool(4)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<long[]> latencies = new ArrayList<>();
        Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
        ExecutorService loops = Executors.newFixedThreadPool(CONNECTIONS);
        List<java.util.concurrent.Future<long[]>> futures = new ArrayList<>();
        long[] cpuBefore = cpuNanos();
        long start = System.nanoTime();
        for (int c = 0; c < CONNECTIONS; c++) {
            futures.add(loops.submit(() -> {
                long[] mine = new long[1 << 16];
                int count = 0;
                while (System.nanoTime() < deadline && count < mine.length) {
                    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                            .header("Content-Type", "application/json").header("Prefer", "respond-async")
                            .POST(HttpRequest.BodyPublishers.ofString(BODY));
                    if (account != null) {
                        b.header("Authorization", account.bearer());
                    }
                    long t0 = System.nanoTime();
                    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
                    mine[count++] = System.nanoTime() - t0;
                    statuses.computeIfAbsent(r.statusCode(), k -> new AtomicLong()).incrementAndGet();
                }
                return Arrays.copyOf(mine, count);
            }));
        }
        for (var f : futures) {
            latencies.add(f.get());
        }
        long elapsed = System.nanoTime() - start;
        long[] cpuAfter = cpuNanos();
        loops.shutdown();
        Map<Integer, Long> byStatus = new TreeMap<>();
        statuses.forEach((k, v) -> byStatus.put(k, v.get()));
        return new Segment(latencies.stream().flatMapToLong(Arrays::stream).toArray(), byStatus, elapsed,
                cpuAfter[0] - cpuBefore[0], cpuAfter[1] - cpuBefore[1]);
    }

    /**
     * Open loop: request i is due at start + i/rate whatever happened to earlier ones, and its latency
     * counts from that due time, so a stall shows up in the percentiles instead of slowing the load.
     */
    private Result runAtRate(String name, URI uri, Kiln.Account account, int seconds, int rate) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(pool).build();
        int total = rate * seconds;
        long intervalNanos = TimeUnit.SECONDS.toNanos(1) / rate;
        long[] latencies = new long[total];
        Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
        List<java.util.concurrent.CompletableFuture<?>> inFlight = new ArrayList<>(total);
        long[] cpuBefore = cpuNanos();
        long start = System.nanoTime();
        for (int i = 0; i < total; i++) {
            long due = start + i * intervalNanos;
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(wait);
            }
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json").header("Prefer", "respond-async")
                    .POST(HttpRequest.BodyPublishers.ofString(BODY));
            if (account != null) {
                b.header("Authorization", account.bearer());
            }
            int index = i;
            inFlight.add(http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString()).whenComplete((r, e) -> {
                latencies[index] = System.nanoTime() - due;
                statuses.computeIfAbsent(e == null ? r.statusCode() : -1, k -> new AtomicLong()).incrementAndGet();
            }));
        }
        java.util.concurrent.CompletableFuture.allOf(inFlight.toArray(java.util.concurrent.CompletableFuture[]::new))
                .handle((v, e) -> null).get(60, TimeUnit.SECONDS);
        double elapsedSeconds = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        long[] sorted = Arrays.stream(latencies).sorted().toArray();
        Map<Integer, Long> byStatus = new TreeMap<>();
        statuses.forEach((k, v) -> byStatus.put(k, v.get()));
        return withCpu(name, total, byStatus, total / elapsedSeconds, percentile(sorted, 0.50) / 1e6,
                percentile(sorted, 0.99) / 1e6, cpuBefore);
    }

    private static double percentile(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }
}
