package dev.kiln.local.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.devstack.process.Polling;
import dev.kiln.local.LocalKiln;
import dev.kiln.local.LocalKilnOptions;
import dev.kiln.local.admin.LocalAccount;
import dev.kiln.local.process.QuarkusApp;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupState;

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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * End-to-end benchmark (not a test) on the local system with real processes:
 * <ol>
 *   <li>added latency at light load: sequential synchronous requests with one worker; for each, the client's
 *       submit→response time minus the worker's pipeline time for that job (the growth of
 *       {@code kiln_worker_stage_seconds_sum{stage="inference"}} across the request, exact because only that
 *       job ran);</li>
 *   <li>throughput: a burst of async jobs, first submit → last terminal, with 1 and with 2 workers.</li>
 * </ol>
 * Run: {@code mvn -B -q -pl local-run exec:java -Dexec.mainClass=dev.kiln.local.bench.EndToEndBench}
 * (options {@code -Dbench.requests=40 -Dbench.burst=40 -Dbench.size=64x64 -Dbench.steps=4}, and
 * {@code KILN_MODEL_DIR} for a real model).
 */
public final class EndToEndBench {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern INFERENCE_SUM = Pattern.compile(
            "^kiln_worker_stage_seconds_sum\\{[^}]*stage=\"inference\"[^}]*}\\s+([-+0-9.eE]+)\\s*$", Pattern.MULTILINE);

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
            bench.throughput(kiln, account, body, burst, 1);
            kiln.ensureWorkers(2);
            awaitGroupMembers(kiln, 2);
            bench.throughput(kiln, account, body, burst, 2);
        }
    }

    private void latency(LocalKiln kiln, LocalAccount account, Map<String, Object> body, int requests, boolean report) {
        QuarkusApp worker = kiln.workers().get(0);
        double[] totalMillis = new double[requests];
        double[] pipelineMillis = new double[requests];
        double[] addedMillis = new double[requests];
        for (int i = 0; i < requests; i++) {
            double inferenceBefore = inferenceSeconds(worker);
            long start = System.nanoTime();
            HttpResponse<String> response = send(kiln.api().baseUri().resolve("v1/images/generations"), account,
                    body, Map.of());
            long elapsed = System.nanoTime() - start;
            if (response.statusCode() != 200) {
                throw new IllegalStateException("sync request answered " + response.statusCode() + ": " + response.body());
            }
            totalMillis[i] = elapsed / 1e6;
            pipelineMillis[i] = (inferenceSeconds(worker) - inferenceBefore) * 1000;
            addedMillis[i] = totalMillis[i] - pipelineMillis[i];
        }
        if (report) {
            System.out.printf("light load, %d sequential sync requests, 1 worker:%n", requests);
            System.out.printf("  submit->completed   p50 %.1f ms  p99 %.1f ms%n", pct(totalMillis, 50), pct(totalMillis, 99));
            System.out.printf("  pipeline (worker)   p50 %.1f ms  p99 %.1f ms%n", pct(pipelineMillis, 50), pct(pipelineMillis, 99));
            System.out.printf("  added by Kiln       p50 %.1f ms  p99 %.1f ms%n", pct(addedMillis, 50), pct(addedMillis, 99));
        }
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

    private double inferenceSeconds(QuarkusApp worker) {
        Matcher m = INFERENCE_SUM.matcher(worker.metrics());
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        return sum;
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
