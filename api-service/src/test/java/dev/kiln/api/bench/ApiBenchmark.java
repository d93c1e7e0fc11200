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
        run("warmup", bare, null, 3);
        run("warmup", submit, a, 3);
        Result bareResult = run("bare", bare, null, SECONDS);
        Kiln.redis().configResetstat();
        Result submitResult = run("submit", submit, a, SECONDS);
        String stats = Kiln.redis().info("commandstats");
        if (RATE > 0) {
            System.out.println("BENCH open loop at " + RATE + " req/s");
            System.out.println("BENCH " + runAtRate("bare@" + RATE, bare, null, SECONDS, RATE));
            System.out.println("BENCH " + runAtRate("submit@" + RATE, submit, a, SECONDS, RATE));
        }
        long accepted = submitResult.statuses().getOrDefault(202, 0L);
        System.out.println("BENCH connections=" + CONNECTIONS + " seconds=" + SECONDS);
        System.out.println("BENCH " + bareResult);
        System.out.println("BENCH " + submitResult);
        System.out.println("BENCH accepted submissions=" + accepted + " jobs in Redis=" + a.jobCount());
        stats.lines().filter(l -> l.startsWith("cmdstat_")).forEach(l -> {
            long calls = Long.parseLong(l.replaceAll("^[^:]*:calls=(\\d+),.*", "$1"));
            System.out.printf("BENCH %s  per accepted submission=%.3f%n", l, accepted == 0 ? 0.0 : (double) calls / accepted);
        });
    }

    private Result run(String name, URI uri, Kiln.Account account, int seconds) throws Exception {
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
        double elapsedSeconds = (System.nanoTime() - start) / 1e9;
        loops.shutdown();
        long[] all = latencies.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        Map<Integer, Long> byStatus = new TreeMap<>();
        statuses.forEach((k, v) -> byStatus.put(k, v.get()));
        return withCpu(name, all.length, byStatus, all.length / elapsedSeconds,
                percentile(all, 0.50) / 1e6, percentile(all, 0.99) / 1e6, cpuBefore);
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
