package dev.kiln.local.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupState;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.kiln.common.redis.RedisKeys;
import dev.kiln.devstack.process.Polling;
import dev.kiln.local.LocalKiln;
import dev.kiln.local.LocalKilnOptions;
import dev.kiln.local.admin.LocalAccount;
import dev.kiln.local.process.QuarkusApp;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;

/**
 * End-to-end benchmark (not a test) on the local system with real processes:
 * <ol>
 * <li>added latency at light load: sequential synchronous requests with one worker; for each, the client's
 * submit→response time minus the worker's pipeline time for that job (the growth of
 * {@code kiln_worker_stage_seconds_sum{stage="inference"}} across the request, exact because only that
 * job ran);</li>
 * <li>throughput: a burst of async jobs, first submit → last terminal, with 1 and with 2 workers.</li>
 * </ol>
 * Run: {@code mvn -B -q -pl local-run exec:java -Dexec.mainClass=dev.kiln.local.bench.EndToEndBench}
 * (options {@code -Dbench.requests=40 -Dbench.burst=40 -Dbench.size=64x64 -Dbench.steps=4}, {@code -Dbench.burst=0}
 * skips the throughput part, and
 * {@code KILN_MODEL_DIR} for a real model).
 */
public final class EndToEndBench {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Every timer sum the worker exports that the per-hop breakdown uses: name (+ stage tag) -> seconds. */
    private static final Pattern TIMER_SUM = Pattern.compile(
            "^(kiln_worker_(?:stage|queue_wait)_seconds)_sum(?:\\{([^}]*)})?\\s+([-+0-9.eE]+)\\s*$", Pattern.MULTILINE);
    private static final Pattern STAGE_TAG = Pattern.compile("stage=\"([a-z_]+)\"");
    private static final Pattern OUTPUT_KEY = Pattern.compile("outputs/([A-Za-z0-9_-]+)/0\\.png");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private EndToEndBench() {
    }

    public static void main(String[] args) {
        int requests = Integer.getInteger("bench.requests", 40);
        int burst = Integer.getInteger("bench.burst", 40);
        String size = System.getProperty("bench.size", "64x64");
        int steps = Integer.getInteger("bench.steps", 4);
        Path repo = LocalKilnOptions.locateRepoDir();
        String model = System.getenv("KILN_MODEL_DIR");
        LocalKilnOptions options = LocalKilnOptions.defaults(repo, repo.resolve("local-run/target/bench"),
                model == null || model.isBlank() ? null : Path.of(model),
                "bench-" + UUID.randomUUID(), "bench-" + UUID.randomUUID())
                .withPorts(0, 0);
        EndToEndBench bench = new EndToEndBench();
        System.out.printf("machine: %d cores (%s %s), java %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"), System.getProperty("os.arch"), System.getProperty("java.version"));
        System.out.printf("settings: size %s, steps %d, model %s, worker defaults (max batch 8 images, max wait 50 ms)%n",
                size, steps, model == null ? "tiny generated" : model);
        try (LocalKiln kiln = LocalKiln.start(options, 1)) {
            LocalAccount account = kiln.createAccount("bench", 1_000_000_000L);
            Map<String, Object> body = Map.of("prompt", "a lighthouse at dusk", "size", size, "steps", steps);
            bench.latency(kiln, account, body, 5, false);
            bench.latency(kiln, account, body, requests, true);
            if (burst > 0) {
                bench.throughput(kiln, account, body, burst, 1);
                kiln.ensureWorkers(2);
                awaitGroupMembers(kiln, 2);
                bench.throughput(kiln, account, body, burst, 2);
            }
        }
    }

    private void latency(LocalKiln kiln, LocalAccount account, Map<String, Object> body, int requests, boolean report) {
        QuarkusApp worker = kiln.workers().get(0);
        double[] totalMillis = new double[requests];
        double[] pipelineMillis = new double[requests];
        double[] addedMillis = new double[requests];
        Map<String, double[]> hops = new LinkedHashMap<>();
        RedisClient redisClient = RedisClient.create(kiln.stack().redisUri());
        try (StatefulRedisConnection<String, String> redis = redisClient.connect()) {
            redis.setTimeout(Duration.ofSeconds(5));
            for (int i = 0; i < requests; i++) {
                Map<String, Double> timersBefore = timerSums(worker);
                long startMillis = System.currentTimeMillis();
                long start = System.nanoTime();
                HttpResponse<String> response = send(kiln.api().baseUri().resolve("v1/images/generations"), account,
                        body, Map.of());
                long elapsed = System.nanoTime() - start;
                long endMillis = System.currentTimeMillis();
                if (response.statusCode() != 200) {
                    throw new IllegalStateException("sync request answered " + response.statusCode() + ": " + response.body());
                }
                Map<String, Double> timersAfter = timerSums(worker);
                totalMillis[i] = elapsed / 1e6;
                pipelineMillis[i] = delta(timersBefore, timersAfter, "inference");
                addedMillis[i] = totalMillis[i] - pipelineMillis[i];
                recordHops(hops, i, requests, redis, account, response.body(), startMillis, endMillis,
                        timersBefore, timersAfter);
            }
        } finally {
            redisClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        if (report) {
            System.out.printf("light load, %d sequential sync requests, 1 worker:%n", requests);
            System.out.printf("  submit->completed   p50 %.1f ms  p99 %.1f ms%n", pct(totalMillis, 50), pct(totalMillis, 99));
            System.out.printf("  pipeline (worker)   p50 %.1f ms  p99 %.1f ms%n", pct(pipelineMillis, 50),
                    pct(pipelineMillis, 99));
            System.out.printf("  added by Kiln       p50 %.1f ms  p99 %.1f ms%n", pct(addedMillis, 50), pct(addedMillis, 99));
            System.out.println(
                    "  per hop (job record timestamps are Redis TIME, same host clock; worker timers are per-job deltas):");
            hops.forEach((hop, values) -> System.out.printf("    %-58s p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms%n",
                    hop, pct(values, 50), pct(values, 99), pct(values, 100)));
            if (Boolean.getBoolean("bench.raw")) {
                hops.forEach((hop, values) -> System.out.printf("    raw %s: %s%n", hop.trim(), Arrays.toString(values)));
            }
        }
    }

    /**
     * Splits one request into hops from the job record's {@code created_ms}/{@code started_ms}/{@code finished_ms}
     * (Redis TIME, the same host clock as the client's) and the growth of the worker's timers across the request.
     */
    private static void recordHops(Map<String, double[]> hops, int i, int requests,
            StatefulRedisConnection<String, String> redis, LocalAccount account, String body,
            long startMillis, long endMillis, Map<String, Double> before, Map<String, Double> after) {
        Matcher key = OUTPUT_KEY.matcher(body);
        if (!key.find()) {
            throw new IllegalStateException("no output key in the response: " + body);
        }
        Map<String, String> job = redis.sync().hgetall(RedisKeys.job(account.id(), key.group(1)));
        long created = Long.parseLong(job.get("created_ms"));
        long started = Long.parseLong(job.get("started_ms"));
        long finished = Long.parseLong(job.get("finished_ms"));
        double queueWait = delta(before, after, "queue_wait");
        double markRunning = delta(before, after, "mark_running");
        BiConsumer<String, Double> put = (hop, millis) -> hops.computeIfAbsent(hop, h -> new double[requests])[i] = millis;
        put.accept("client -> job created (API submit, front half)", (double) (created - startMillis));
        put.accept("created -> started (Kafka, intake, batcher, markRunning)", (double) (started - created));
        put.accept("  of which batcher queue wait", queueWait);
        put.accept("  of which markRunning", markRunning);
        put.accept("  rest: produce + Kafka hop + intake", started - created - queueWait - markRunning);
        put.accept("started -> finished (inference, PNG, S3, settle)", (double) (finished - started));
        put.accept("  of which inference", delta(before, after, "inference"));
        put.accept("  of which PNG encode", delta(before, after, "encode"));
        put.accept("  of which S3 put", delta(before, after, "upload"));
        put.accept("  of which settle", delta(before, after, "settle"));
        put.accept("finished -> client response (notify, re-read, presign)", (double) (endMillis - finished));
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String timer) {
        return (after.getOrDefault(timer, 0.0) - before.getOrDefault(timer, 0.0)) * 1000;
    }

    /** The worker's timer sums in seconds, keyed by stage tag ({@code queue_wait} for the batcher's queue timer). */
    private static Map<String, Double> timerSums(QuarkusApp worker) {
        Map<String, Double> sums = new HashMap<>();
        Matcher m = TIMER_SUM.matcher(worker.metrics());
        while (m.find()) {
            Matcher stage = STAGE_TAG.matcher(m.group(2) == null ? "" : m.group(2));
            String name = m.group(1).equals("kiln_worker_queue_wait_seconds") ? "queue_wait"
                    : stage.find() ? stage.group(1) : null;
            if (name != null) {
                sums.merge(name, Double.parseDouble(m.group(3)), Double::sum);
            }
        }
        return sums;
    }

    private void throughput(LocalKiln kiln, LocalAccount account, Map<String, Object> body, int jobs, int workers) {
        List<String> locations = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < jobs; i++) {
            HttpResponse<String> response = send(kiln.api().baseUri().resolve("v1/images/generations"), account, body,
                    Map.of("Prefer", "respond-async"));
            if (response.statusCode() != 202) {
                throw new IllegalStateException("async submit answered " + response.statusCode() + ": " + response.body());
            }
            locations.add(response.headers().firstValue("Location").orElseThrow());
        }
        Set<String> open = new HashSet<>(locations);
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (!open.isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(open.size() + " jobs not finished after 10 minutes");
            }
            for (String location : List.copyOf(open)) {
                JsonNode job = get(kiln.api().baseUri().resolve(location), account);
                String status = job.get("status").asText();
                if (!status.equals("queued") && !status.equals("running")) {
                    if (!status.equals("succeeded")) {
                        throw new IllegalStateException(location + " ended " + job);
                    }
                    open.remove(location);
                }
            }
            LockSupport.parkNanos(20_000_000L);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("burst of %d async jobs, %d worker(s): %.2f s, %.2f images/s%n", jobs, workers, seconds,
                jobs / seconds);
    }

    /** A burst right after a worker joins would mostly measure the rebalance; wait until both own partitions. */
    private static void awaitGroupMembers(LocalKiln kiln, int members) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                kiln.stack().kafkaBootstrapServers(), AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000))) {
            Polling.await("consumer group with " + members + " members owning partitions", Duration.ofMinutes(2),
                    () -> true, () -> {
                        try {
                            ConsumerGroupDescription group = admin.describeConsumerGroups(List.of("kiln-gpu-workers"))
                                    .all().get(10, TimeUnit.SECONDS).get("kiln-gpu-workers");
                            return group.groupState() == GroupState.STABLE && group.members().size() == members
                                    && group.members().stream()
                                            .allMatch(m -> !m.assignment().topicPartitions().isEmpty());
                        } catch (Exception e) {
                            return false;
                        }
                    });
        }
    }

    private HttpResponse<String> send(URI uri, LocalAccount account, Map<String, Object> body, Map<String, String> headers) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(120))
                    .header("Authorization", account.bearer()).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
            headers.forEach(request::header);
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private JsonNode get(URI uri, LocalAccount account) {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                    .header("Authorization", account.bearer()).GET().build(), HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static double pct(double[] values, int percentile) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int index = (int) Math.ceil(percentile / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
