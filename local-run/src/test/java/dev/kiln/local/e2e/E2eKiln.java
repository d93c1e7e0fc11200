package dev.kiln.local.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;

import dev.kiln.common.jobs.JobRecord;
import dev.kiln.common.redis.RedisConnections;
import dev.kiln.common.redis.RedisKeys;
import dev.kiln.devstack.S3Settings;
import dev.kiln.devstack.process.Polling;
import dev.kiln.local.LocalKiln;
import dev.kiln.local.LocalKilnOptions;
import dev.kiln.local.admin.LocalAccount;
import dev.kiln.local.process.QuarkusApp;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.minio.StatObjectArgs;
import io.minio.errors.ErrorResponseException;

/**
 * The end-to-end suite's view of a running Kiln ({@link LocalKiln}: real Kafka, Redis and S3 processes, the
 * API and workers as separate JVMs from their built quarkus-app, the worker's tiny generated model) plus
 * direct reads of the real state the tests assert on: job records in Redis, objects in S3, worker metrics.
 */
public final class E2eKiln implements AutoCloseable {

    /**
     * Price of one image of the served model ({@link LocalKiln#MODEL_ID}, also reached through its aliases) in this
     * suite, so that every charge and refund is visible in the wallet.
     */
    public static final long PRICE_MICROS = 1_000;
    /** Gross top-up of each test account; the admin API keeps its fee. */
    public static final long TOP_UP_MICROS = 1_000_000;
    /** Small and fast on the tiny model: every test image is 64x64 unless a test needs slower work. */
    public static final String SIZE = "64x64";
    public static final Duration JOB_TIMEOUT = Duration.ofSeconds(120);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(30);

    private final LocalKiln kiln;
    private final RedisClient redisClient;
    private final StatefulRedisConnection<String, String> redis;
    private final MinioClient s3;
    private final String bucket;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(HTTP_TIMEOUT).build();

    private E2eKiln(LocalKiln kiln) {
        this.kiln = kiln;
        this.redisClient = RedisConnections.client(kiln.stack().redisUri(), 5000);
        this.redis = redisClient.connect();
        S3Settings settings = kiln.stack().s3();
        this.s3 = MinioClient.builder().endpoint(settings.endpoint())
                .credentials(settings.accessKey(), settings.secretKey()).region("us-east-1").build();
        this.s3.setTimeout(HTTP_TIMEOUT.toMillis(), HTTP_TIMEOUT.toMillis(), HTTP_TIMEOUT.toMillis());
        this.bucket = settings.bucket();
    }

    /** Starts the stack and the API with no worker; each test class sets the worker count it needs. */
    static E2eKiln start() {
        Path workDir = Path.of(System.getProperty("kiln.e2e.work-dir", "target/e2e")).toAbsolutePath();
        LocalKilnOptions options = LocalKilnOptions.defaults(LocalKilnOptions.locateRepoDir(), workDir, null,
                "e2e-admin-" + UUID.randomUUID(), "e2e-pepper-" + UUID.randomUUID())
                .withPorts(0, 0)
                .withApiSettings(Map.of(
                        "kiln.api.models.\"" + LocalKiln.MODEL_ID + "\".price-micros-per-image", Long.toString(PRICE_MICROS),
                        "kiln.api.wait.default-seconds", "120"))
                .withWorkerSettings(Map.of(
                        // 8 guided images per UNet call: jobs that arrive while others run join them at the next
                        // step boundary (no hold time any more), and CPU calls of the tiny model stay small.
                        "kiln.worker.batching.max-rows", "16",
                        // A SIGKILLed worker's partitions move to the restarted one after this, not Kafka's 45 s.
                        "mp.messaging.incoming.jobs-in.session.timeout.ms", "10000",
                        "kiln.worker.warmup.size-pixels", "32",
                        "kiln.worker.shutdown.grace", "10s",
                        "quarkus.shutdown.timeout", "15s"));
        return new E2eKiln(LocalKiln.start(options, 0));
    }

    public LocalKiln kiln() {
        return kiln;
    }

    /** A fresh funded account: tests never share wallets. */
    public LocalAccount newAccount() {
        return kiln.createAccount("e2e-" + UUID.randomUUID().toString().substring(0, 12), TOP_UP_MICROS);
    }

    /** A fresh account with a key and an empty wallet (PAYG: every submission is a 402). */
    public LocalAccount newUnfundedAccount() {
        return kiln.admin().createUnfundedAccount("e2e-" + UUID.randomUUID().toString().substring(0, 12),
                LocalKilnOptions.LOCAL_TIER);
    }

    public OpenAIClient openAi(LocalAccount account) {
        return OpenAIOkHttpClient.builder().baseUrl(kiln.openAiBaseUrl().toString()).apiKey(account.apiKey())
                .timeout(Duration.ofSeconds(150)).maxRetries(0).build();
    }

    /** POST {@code /v1/images/generations} with {@code Prefer: respond-async} on {@code api}; must answer 202. */
    public JsonNode submitAsync(QuarkusApp api, LocalAccount account, Map<String, ?> body) {
        HttpResponse<String> response = send(HttpRequest.newBuilder(api.baseUri().resolve("v1/images/generations"))
                .header("Authorization", account.bearer()).header("Prefer", "respond-async")
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json(body))));
        if (response.statusCode() != 202) {
            throw new AssertionError("async submit answered " + response.statusCode() + ": " + response.body());
        }
        JsonNode job = readJson(response.body());
        String location = response.headers().firstValue("Location").orElse("");
        if (!location.endsWith("/v1/images/jobs/" + job.path("id").asText())) {
            throw new AssertionError("202 without the job's Location: '" + location + "' for " + job);
        }
        return job;
    }

    public JsonNode submitAsync(LocalAccount account, Map<String, ?> body) {
        return submitAsync(kiln.api(), account, body);
    }

    public HttpResponse<String> get(LocalAccount account, String path) {
        return send(HttpRequest.newBuilder(kiln.api().baseUri().resolve(path)).header("Authorization", account.bearer())
                .GET());
    }

    public HttpResponse<String> delete(LocalAccount account, String path) {
        return send(HttpRequest.newBuilder(kiln.api().baseUri().resolve(path)).header("Authorization", account.bearer())
                .DELETE());
    }

    public HttpResponse<byte[]> download(String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(HTTP_TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The job record straight from Redis, or null. */
    public JobRecord job(LocalAccount account, String jobId) {
        return JobRecord.fromHash(jobId, jobHash(account, jobId));
    }

    public Map<String, String> jobHash(LocalAccount account, String jobId) {
        return redisCommands().hgetall(RedisKeys.job(account.id(), jobId));
    }

    /** Polls the Redis job record until {@code condition} holds; fails after {@link #JOB_TIMEOUT}. */
    public JobRecord awaitJob(LocalAccount account, String jobId, String what, Predicate<JobRecord> condition) {
        AtomicReference<JobRecord> last = new AtomicReference<>();
        try {
            Polling.await("job " + jobId + " " + what, JOB_TIMEOUT, () -> true, () -> {
                JobRecord record = job(account, jobId);
                last.set(record);
                return record != null && condition.test(record);
            });
        } catch (IllegalStateException e) {
            throw new AssertionError(e.getMessage() + "; last record: " + last.get() + workerLogTails(), e);
        }
        return last.get();
    }

    /**
     * Like {@link Polling#await} but checking every 2 ms, for states that last only a fraction of a second
     * (a running batch on the tiny model). Still bounded, still polling real state.
     */
    public static void awaitTightly(String what, Duration timeout, BooleanSupplier stillAlive,
            BooleanSupplier condition) {
        long deadlineNanos = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (!stillAlive.getAsBoolean()) {
                throw new AssertionError(what + ": the process exited first");
            }
            if (System.nanoTime() - deadlineNanos > 0) {
                throw new AssertionError(what + ": not seen within " + timeout.toSeconds() + " s");
            }
            LockSupport.parkNanos(2_000_000L);
        }
    }

    public JobRecord awaitTerminal(LocalAccount account, String jobId) {
        return awaitJob(account, jobId, "terminal", r -> r.status().isTerminal());
    }

    /** The account hash: balance and reservations as the Lua scripts left them. */
    public long balanceMicros(LocalAccount account) {
        return Long.parseLong(redisCommands().hget(RedisKeys.account(account.id()), "balance_micros"));
    }

    public long reservedMicros(LocalAccount account) {
        String v = redisCommands().hget(RedisKeys.account(account.id()), "reserved_micros");
        return v == null ? 0 : Long.parseLong(v);
    }

    /** The admin API's ledger view: entries plus the balance recomputed from them. */
    public JsonNode ledger(LocalAccount account) {
        return kiln.admin().ledger(account.id());
    }

    /** Ledger entries of {@code type} that concern {@code jobId}. */
    public List<JsonNode> ledgerEntries(LocalAccount account, String type, String jobId) {
        return ledger(account).get("data").valueStream()
                .filter(e -> type.equals(e.path("type").asText()) && jobId.equals(e.path("job").asText()))
                .toList();
    }

    public boolean objectExists(String key) {
        try {
            s3.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build());
            return true;
        } catch (ErrorResponseException e) {
            if ("NoSuchKey".equals(e.errorResponse().code())) {
                return false;
            }
            throw new IllegalStateException(e);
        } catch (Exception e) {
            throw new IllegalStateException("S3 stat " + key + " failed", e);
        }
    }

    public byte[] object(String key) {
        try (InputStream in = s3.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
            return in.readAllBytes();
        } catch (Exception e) {
            throw new IllegalStateException("S3 get " + key + " failed", e);
        }
    }

    /**
     * Sum of a Prometheus sample over all series whose name is {@code name} and whose labels contain
     * {@code labelFilter} (e.g. {@code outcome="succeeded"}; empty = any); 0 when absent.
     */
    public static double metric(QuarkusApp app, String name, String labelFilter) {
        Pattern line = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*})?\\s+([-+0-9.eE]+|NaN)\\s*$",
                Pattern.MULTILINE);
        Matcher m = line.matcher(app.metrics());
        double sum = 0;
        while (m.find()) {
            String labels = m.group(1) == null ? "" : m.group(1);
            if (labels.contains(labelFilter)) {
                sum += Double.parseDouble(m.group(2));
            }
        }
        return sum;
    }

    public String workerLogTails() {
        StringBuilder b = new StringBuilder();
        for (QuarkusApp worker : kiln.workers()) {
            b.append("\n--- ").append(worker).append(" log tail ---\n").append(worker.logTail(30));
        }
        return b.toString();
    }

    private RedisCommands<String, String> redisCommands() {
        return redis.sync();
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.timeout(HTTP_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static JsonNode readJson(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + body, e);
        }
    }

    private static String json(Object body) {
        try {
            return JSON.writeValueAsString(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        redis.close();
        redisClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        kiln.close();
    }
}
