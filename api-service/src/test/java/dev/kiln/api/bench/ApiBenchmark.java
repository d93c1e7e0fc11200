package dev.kiln.api.bench;

import java.io.IOException;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import com.sun.management.OperatingSystemMXBean;

import dev.kiln.api.support.Kiln;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;

/**
 * Closed-loop load against async submissions ({@code Prefer: respond-async}) and a bare endpoint in
 * the same JVM and run, plus Redis command statistics per accepted submission. Not a test: runs only
 * with {@code -Dkiln.bench=true} (see docs/benchmarks.md, section API).
 */
@QuarkusTest
@TestProfile(ApiBenchmark.NoSaturation.class)
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
    private static final int ROUNDS = Integer.getInteger("kiln.bench.rounds", 1);
    /**
     * When true, this JVM (API and load generator) runs on CPU 0 and the dev stack (Kafka, Redis,
     * s3proxy) on CPU 1, as in production where the backends have machines of their own: the API's
     * own cost, not its backends', then decides what submit/bare costs.
     */
    private static final boolean PIN_STACK = Boolean.getBoolean("kiln.bench.pin-stack");
    /** Warm-up per endpoint, both endpoints before anything is measured. */
    private static final int WARMUP_SECONDS = Integer.getInteger("kiln.bench.warmup-seconds", 60);
    /**
     * Connections during warm-up. At full load the compiler threads starve: after 90 s at 32
     * connections C2 was still compiling for 45 % of a measured 15 s segment.
     */
    private static final int WARMUP_CONNECTIONS = Integer.getInteger("kiln.bench.warmup-connections", 4);
    private static final int SETTLE_SECONDS = 10;
    private static final int MAX_SETTLE_STEPS = 12;
    /** When > 0, also an open-loop run at this many requests/s per endpoint (latency from the scheduled send time). */
    private static final int RATE = Integer.getInteger("kiln.bench.rate", 0);
    /** When true, the open-loop runs use half the closed-loop submit throughput of the same run as their rate. */
    private static final boolean HALF_PEAK = Boolean.getBoolean("kiln.bench.half-peak");
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
            double jvmCpuMicrosPerRequest, double stackCpuMicrosPerRequest, long jitMillis,
            Map<String, Double> jvmCpuMicrosPerRequestByThread) {
        @Override
        public String toString() {
            return String.format("%-8s requests=%d statuses=%s req/s=%.0f p50=%.2fms p99=%.2fms cpu/req: jvm=%.0fus"
                    + " stack=%.0fus jit=%dms", name, requests, statuses, perSecond, p50Ms, p99Ms,
                    jvmCpuMicrosPerRequest, stackCpuMicrosPerRequest, jitMillis);
        }

        /** The JVM's CPU per request split by thread group; the API's own share excludes the load generator. */
        String byThread() {
            StringBuilder line = new StringBuilder(String.format("%-8s jvm cpu/req by thread:", name));
            jvmCpuMicrosPerRequestByThread.forEach((group, micros) -> line.append(String.format(" %s=%.0fus", group, micros)));
            double api = jvmCpuMicrosPerRequestByThread.entrySet().stream()
                    .filter(e -> !e.getKey().equals(ThreadCpu.LOAD_GENERATOR)).mapToDouble(Map.Entry::getValue).sum();
            return line.append(String.format(" | without load generator=%.0fus (+ stack %.0fus)", api,
                    stackCpuMicrosPerRequest)).toString();
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
        long jvm = ((OperatingSystemMXBean) ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
        long children = ProcessHandle.current().descendants()
                .mapToLong(p -> p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L)).sum();
        return new long[] { jvm, children };
    }

    private static Result withCpu(String name, long requests, Map<Integer, Long> statuses, double perSecond,
            double p50Ms, double p99Ms, long[] cpuBefore, long jitBefore) {
        long[] cpuAfter = cpuNanos();
        double n = Math.max(1, requests);
        return new Result(name, requests, statuses, perSecond, p50Ms, p99Ms,
                (cpuAfter[0] - cpuBefore[0]) / 1e3 / n, (cpuAfter[1] - cpuBefore[1]) / 1e3 / n,
                ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - jitBefore, Map.of());
    }

    @Test
    void asyncSubmissionsAgainstABareEndpoint() throws Exception {
        Kiln.Account a = Kiln.account("invoiced", "unlimited", 0);
        if (PIN_STACK) {
            pinStackApart();
        }
        // Warm both paths before measuring either, at a concurrency that leaves the JIT some CPU: with a
        // 3 s warm-up C2 still took a fifth of the 2 vCPUs during the measured submit phase (perf), which
        // is start-up cost, not cost per request. More than one round alternates the measured segments,
        // which evens out drift of the shared host but makes the JIT re-profile at every switch.
        warm(bare, null);
        warm(submit, a);
        Segments bareRuns = new Segments("bare");
        Segments submitRuns = new Segments("submit");
        Map<String, CommandStat> submitCommands = new TreeMap<>();
        long redisReads = 0;
        for (int round = 0; round < ROUNDS; round++) {
            bareRuns.add(run(bare, null, SECONDS / ROUNDS));
            Map<String, CommandStat> before = redisCommandStats();
            long readsBefore = redisReadsProcessed();
            submitRuns.add(run(submit, a, SECONDS / ROUNDS));
            redisReads += redisReadsProcessed() - readsBefore;
            printProducerBatching();
            redisCommandStats().forEach((cmd, stat) -> submitCommands.merge(cmd,
                    stat.minus(before.getOrDefault(cmd, CommandStat.NONE)), CommandStat::plus));
        }
        Result bareResult = bareRuns.result();
        Result submitResult = submitRuns.result();
        int rate = HALF_PEAK ? (int) Math.round(submitResult.perSecond() / 2) : RATE;
        if (rate > 0) {
            System.out.println("BENCH open loop at " + rate + " req/s" + (HALF_PEAK ? " (half the submit peak)" : ""));
            // Unmeasured first: the open loop's own client (Vert.x) is new code for the JIT.
            warmAtRate(bare, null, rate);
            System.out.println("BENCH " + runAtRate("bare@" + rate, bare, null, SECONDS, rate));
            warmAtRate(submit, a, rate);
            System.out.println("BENCH " + runAtRate("submit@" + rate, submit, a, SECONDS, rate));
        }
        long accepted = submitResult.statuses().getOrDefault(202, 0L);
        System.out.println("BENCH connections=" + CONNECTIONS + " seconds=" + SECONDS + " rounds=" + ROUNDS
                + " pin-stack=" + PIN_STACK + " warmup-seconds=" + WARMUP_SECONDS + " warmup-connections="
                + WARMUP_CONNECTIONS);
        System.out.println("BENCH " + bareResult);
        System.out.println("BENCH " + submitResult);
        System.out.println("BENCH " + bareResult.byThread());
        System.out.println("BENCH " + submitResult.byThread());
        System.out.printf("BENCH submit/bare: throughput %.1f %%, cpu per request %.2fx%n",
                100 * submitResult.perSecond() / bareResult.perSecond(),
                (submitResult.jvmCpuMicrosPerRequest() + submitResult.stackCpuMicrosPerRequest())
                        / (bareResult.jvmCpuMicrosPerRequest() + bareResult.stackCpuMicrosPerRequest()));
        System.out.println("BENCH accepted submissions=" + accepted + " jobs in Redis=" + a.jobCount());
        // Socket reads Redis made for the measured submissions: fewer than calls when commands arrive pipelined.
        System.out.printf("BENCH redis socket reads per accepted submission=%.3f%n",
                accepted == 0 ? 0.0 : (double) redisReads / accepted);
        submitCommands.entrySet().removeIf(e -> e.getValue().calls() == 0);
        submitCommands.forEach((cmd, stat) -> System.out.printf(
                "BENCH redis %s calls=%d per accepted submission=%.3f usec per call=%.2f%n", cmd, stat.calls(),
                accepted == 0 ? 0.0 : (double) stat.calls() / accepted, (double) stat.usec() / stat.calls()));
    }

    /** One closed-loop segment: latencies (nanos), statuses, wall, CPU and JIT compilation time. */
    record Segment(long[] latencies, Map<Integer, Long> statuses, long elapsedNanos, long jvmCpuNanos,
            long stackCpuNanos, long jitMillis, Map<String, Long> jvmCpuNanosByThread) {
    }

    /**
     * Redis's own count and time of one command ({@code INFO commandstats}). A script's time covers
     * everything it runs; its inner commands are counted again under their own names.
     */
    record CommandStat(long calls, long usec) {
        static final CommandStat NONE = new CommandStat(0, 0);

        CommandStat minus(CommandStat o) {
            return new CommandStat(calls - o.calls, usec - o.usec);
        }

        CommandStat plus(CommandStat o) {
            return new CommandStat(calls + o.calls, usec + o.usec);
        }
    }

    /**
     * Records per produce request of the API's Kafka producers (JMX; the client's averages cover its last
     * ~60 s, so mostly the submit segment just measured). Few records per request means the broker and the
     * producer pay a request's overhead per job.
     */
    private static void printProducerBatching() throws Exception {
        MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
        for (ObjectName name : jmx.queryNames(
                new javax.management.ObjectName("kafka.producer:type=producer-metrics,client-id=*"), null)) {
            System.out.printf("BENCH kafka producer %s: records per request=%.2f, batch bytes=%.0f%n",
                    name.getKeyProperty("client-id"), (Double) jmx.getAttribute(name, "records-per-request-avg"),
                    (Double) jmx.getAttribute(name, "batch-size-avg"));
        }
    }

    private static long redisReadsProcessed() {
        return Kiln.redis().info("stats").lines().filter(l -> l.startsWith("total_reads_processed:"))
                .mapToLong(l -> Long.parseLong(l.substring(l.indexOf(':') + 1).trim())).sum();
    }

    private static Map<String, CommandStat> redisCommandStats() {
        Map<String, CommandStat> stats = new TreeMap<>();
        Kiln.redis().info("commandstats").lines().filter(l -> l.startsWith("cmdstat_")).forEach(l -> stats.put(
                l.substring("cmdstat_".length(), l.indexOf(':')),
                new CommandStat(Long.parseLong(l.replaceAll("^[^:]*:calls=(\\d+),.*", "$1")),
                        Long.parseLong(l.replaceAll("^.*[:,]usec=(\\d+),.*", "$1")))));
        return stats;
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
                    segments.stream().mapToLong(Segment::stackCpuNanos).sum() / 1e3 / n,
                    segments.stream().mapToLong(Segment::jitMillis).sum(), byThread(n));
        }

        private Map<String, Double> byThread(double requests) {
            Map<String, Double> micros = new TreeMap<>();
            segments.forEach(
                    s -> s.jvmCpuNanosByThread().forEach((g, nanos) -> micros.merge(g, nanos / 1e3 / requests, Double::sum)));
            return micros;
        }
    }

    private Segment run(URI uri, Kiln.Account account, int seconds) throws Exception {
        return run(uri, account, seconds, CONNECTIONS);
    }

    /**
     * Warm-up at a lower concurrency first, which leaves the JIT compiler threads some of the 2 vCPUs.
     * Then goes on at the measured concurrency, in {@value #SETTLE_SECONDS} s steps, until the JIT
     * compiled for under 2 % of a step (at most {@value #MAX_SETTLE_STEPS} steps): full load profiles
     * differently, and on one pinned CPU C2 was still compiling for 9 of the 15 measured seconds after
     * the fixed warm-up.
     */
    private void warm(URI uri, Kiln.Account account) throws Exception {
        run(uri, account, WARMUP_SECONDS, WARMUP_CONNECTIONS);
        long jitMillis;
        int steps = 0;
        do {
            jitMillis = run(uri, account, SETTLE_SECONDS, CONNECTIONS).jitMillis();
            steps++;
        } while (jitMillis * 50 > SETTLE_SECONDS * 1000L && steps < MAX_SETTLE_STEPS);
        System.out.printf("BENCH warm-up %s: %d s + %d x %d s, jit in the last step %d ms%n", uri.getPath(),
                WARMUP_SECONDS, steps, SETTLE_SECONDS, jitMillis);
    }

    /** 5 s open-loop steps until the JIT compiled for under 2 % of one (at most {@value #MAX_SETTLE_STEPS} steps). */
    private void warmAtRate(URI uri, Kiln.Account account, int rate) throws Exception {
        int steps = 0;
        long jitMillis;
        do {
            jitMillis = runAtRate("warm", uri, account, 5, rate).jitMillis();
            steps++;
        } while (jitMillis * 50 > 5_000 && steps < MAX_SETTLE_STEPS);
        System.out.printf("BENCH open-loop warm-up %s: %d x 5 s, jit in the last step %d ms%n", uri.getPath(), steps,
                jitMillis);
    }

    private Segment run(URI uri, Kiln.Account account, int seconds, int connections) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newFixedThreadPool(4, ThreadCpu.loadGeneratorThreads())).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<long[]> latencies = new ArrayList<>();
        Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
        ExecutorService loops = Executors.newFixedThreadPool(connections, ThreadCpu.loadGeneratorThreads());
        List<java.util.concurrent.Future<long[]>> futures = new ArrayList<>();
        long[] cpuBefore = cpuNanos();
        Map<Long, Long> threadsBefore = ThreadCpu.snapshot();
        long jitBefore = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
        long start = System.nanoTime();
        for (int c = 0; c < connections; c++) {
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
                    int status;
                    try {
                        status = http.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
                    } catch (IOException e) {
                        status = -1; // a transport error is counted (status -1), not fatal to the run
                    }
                    mine[count++] = System.nanoTime() - t0;
                    statuses.computeIfAbsent(status, k -> new AtomicLong()).incrementAndGet();
                }
                return Arrays.copyOf(mine, count);
            }));
        }
        for (var f : futures) {
            latencies.add(f.get());
        }
        long elapsed = System.nanoTime() - start;
        long[] cpuAfter = cpuNanos();
        // System.nanoTime is CLOCK_MONOTONIC: `perf record -k CLOCK_MONOTONIC` profiles can be cut to this window.
        System.out.printf("BENCH segment %s monotonic %.3f..%.3f s%n", uri.getPath(), start / 1e9, (start + elapsed) / 1e9);
        Map<String, Long> byThread = ThreadCpu.byGroupSince(threadsBefore, cpuAfter[0] - cpuBefore[0]);
        loops.shutdown();
        http.executor().ifPresent(e -> ((ExecutorService) e).shutdown());
        Map<Integer, Long> byStatus = new TreeMap<>();
        statuses.forEach((k, v) -> byStatus.put(k, v.get()));
        return new Segment(latencies.stream().flatMapToLong(Arrays::stream).toArray(), byStatus, elapsed,
                cpuAfter[0] - cpuBefore[0], cpuAfter[1] - cpuBefore[1],
                ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - jitBefore, byThread);
    }

    /**
     * Open loop: request i is due at start + i/rate whatever happened to earlier ones, and its latency
     * counts from that due time, so a stall shows up in the percentiles instead of slowing the load.
     * Sent from one Vert.x event loop of its own: the JDK client's async mode cost ~0.5 ms of CPU per
     * request, which made the generator, not the API, the bottleneck of a half-peak run.
     */
    private Result runAtRate(String name, URI uri, Kiln.Account account, int seconds, int rate) throws Exception {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1));
        try {
            io.vertx.core.http.HttpClient http = vertx.createHttpClient(new HttpClientOptions()
                    .setDefaultHost(uri.getHost()).setDefaultPort(uri.getPort()).setMaxPoolSize(512)
                    .setConnectTimeout(5_000).setIdleTimeout(30));
            int total = rate * seconds;
            long intervalNanos = TimeUnit.SECONDS.toNanos(1) / rate;
            long[] latencies = new long[total];
            Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
            CountDownLatch done = new CountDownLatch(total);
            AtomicInteger next = new AtomicInteger();
            long[] cpuBefore = cpuNanos();
            long jitBefore = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
            long start = System.nanoTime();
            vertx.setPeriodic(1, timer -> {
                long now = System.nanoTime();
                while (next.get() < total && start + next.get() * intervalNanos <= now) {
                    int i = next.getAndIncrement();
                    long due = start + i * intervalNanos;
                    send(http, uri, account).onComplete(ar -> {
                        latencies[i] = System.nanoTime() - due;
                        statuses.computeIfAbsent(ar.succeeded() ? ar.result() : -1, k -> new AtomicLong()).incrementAndGet();
                        done.countDown();
                    });
                }
                if (next.get() >= total) {
                    vertx.cancelTimer(timer);
                }
            });
            if (!done.await(seconds + 60L, TimeUnit.SECONDS)) {
                throw new IllegalStateException(done.getCount() + " open-loop requests never completed");
            }
            double elapsedSeconds = (System.nanoTime() - start) / 1e9;
            long[] sorted = Arrays.stream(latencies).sorted().toArray();
            Map<Integer, Long> byStatus = new TreeMap<>();
            statuses.forEach((k, v) -> byStatus.put(k, v.get()));
            return withCpu(name, total, byStatus, total / elapsedSeconds, percentile(sorted, 0.50) / 1e6,
                    percentile(sorted, 0.99) / 1e6, cpuBefore, jitBefore);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static Future<Integer> send(io.vertx.core.http.HttpClient http, URI uri, Kiln.Account account) {
        return http.request(HttpMethod.POST, uri.getPath()).compose(request -> {
            request.putHeader("Content-Type", "application/json").putHeader("Prefer", "respond-async")
                    .idleTimeout(30_000);
            if (account != null) {
                request.putHeader("Authorization", account.bearer());
            }
            return request.send(BODY).compose(response -> response.body().map(body -> response.statusCode()));
        });
    }

    private static double percentile(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }
}
