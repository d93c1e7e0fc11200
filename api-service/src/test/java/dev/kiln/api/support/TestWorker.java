package dev.kiln.api.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

import dev.kiln.common.jobs.JobCompleter;
import dev.kiln.common.jobs.JobJson;
import dev.kiln.common.jobs.JobOutcome;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.common.jobs.ProgressChannel;
import dev.kiln.common.jobs.ProgressEvent;
import dev.kiln.common.redis.RedisConnections;
import dev.kiln.common.redis.ScriptRunner;
import dev.kiln.common.storage.S3Keys;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;

/**
 * Does what the GPU worker will do, minus the diffusion: consumes {@code kiln.jobs.v1} in group
 * {@code kiln-gpu-workers}, and for jobs whose prompt starts with {@link #COMPLETE} marks them
 * running, writes one small PNG per image to {@code outputs/<job>/<i>.png} and completes them
 * through common's {@link JobCompleter} ({@link #PARTIAL}: one image fewer; {@link #FAIL}: fails it). Other jobs are only
 * recorded, so tests can inspect them
 * while they stay queued. Like the real worker it publishes progress through {@link ProgressChannel}: the
 * previews a job's {@code partial_images} asks for, before completing it; {@link #HOLD} jobs report their
 * first step and wait for {@link #release}.
 */
public final class TestWorker implements AutoCloseable {
    public static final String COMPLETE = "[complete]";
    /** Prompt prefix: produce one image fewer than asked (partial success). */
    public static final String PARTIAL = "[partial]";
    /** Prompt prefix: fail the job. */
    public static final String FAIL = "[fail]";
    /** Prompt prefix: fail the first job with this account and prompt, complete the later ones. */
    public static final String FAIL_ONCE = "[fail-once]";
    /** Prompt prefix: mark the job running, report step 1, and complete it only once {@link #release} is called. */
    public static final String HOLD = "[hold]";
    private static final Duration PROGRESS_TTL = Duration.ofMinutes(1);
    private static TestWorker instance;

    private final KafkaConsumer<String, String> consumer;
    private final RedisClient redisClient;
    private final StatefulRedisConnection<String, String> redis;
    private final JobCompleter completer;
    private final Map<String, CompletableFuture<ConsumerRecord<String, String>>> records = new ConcurrentHashMap<>();
    private final Set<String> failedOnce = ConcurrentHashMap.newKeySet();
    private final Map<String, CompletableFuture<Void>> runningJobs = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Void>> released = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<String>> heldByAccount = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean running = true;

    private TestWorker() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, Kiln.config("kafka.bootstrap.servers"));
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "kiln-gpu-workers");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        consumer = new KafkaConsumer<>(p);
        consumer.subscribe(List.of("kiln.jobs.v1"));
        redisClient = RedisConnections.client(Kiln.config("kiln.api.redis.uri"), 5000);
        redis = redisClient.connect();
        completer = new JobCompleter(new ScriptRunner(redis.async()));
        thread = new Thread(this::loop, "test-worker");
        thread.setDaemon(true);
        thread.start();
    }

    /** The one worker of the test JVM, started on first use. */
    public static synchronized TestWorker get() {
        if (instance == null) {
            instance = new TestWorker();
        }
        return instance;
    }

    /** The Kafka record of a job, once consumed. */
    public ConsumerRecord<String, String> record(String jobId) throws Exception {
        return future(jobId).get(60, TimeUnit.SECONDS);
    }

    /** Waits until a {@link #HOLD} job is running and has reported its first step. */
    public void awaitRunning(String jobId) throws Exception {
        runningJobs.computeIfAbsent(jobId, k -> new CompletableFuture<>()).get(60, TimeUnit.SECONDS);
    }

    /** The id of the account's first {@link #HOLD} job, once it is running and has reported its first step. */
    public String heldJob(String accountId) throws Exception {
        return heldByAccount.computeIfAbsent(accountId, k -> new CompletableFuture<>()).get(60, TimeUnit.SECONDS);
    }

    /** Lets a {@link #HOLD} job complete. */
    public void release(String jobId) {
        released.computeIfAbsent(jobId, k -> new CompletableFuture<>()).complete(null);
    }

    private CompletableFuture<ConsumerRecord<String, String>> future(String jobId) {
        return records.computeIfAbsent(jobId, k -> new CompletableFuture<>());
    }

    private void loop() {
        try {
            while (running) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    handle(r);
                    future(r.key()).complete(r);
                }
                consumer.commitSync();
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close();
        }
    }

    private void handle(ConsumerRecord<String, String> r) {
        try {
            JobSpec spec = JobJson.specFromJson(r.value());
            boolean partial = spec.prompt().startsWith(PARTIAL);
            boolean hold = spec.prompt().startsWith(HOLD);
            boolean failOnce = spec.prompt().startsWith(FAIL_ONCE);
            boolean fail = spec.prompt().startsWith(FAIL)
                    || (failOnce && failedOnce.add(spec.accountId() + "/" + spec.prompt()));
            if (!spec.prompt().startsWith(COMPLETE) && !partial && !fail && !failOnce && !hold) {
                return;
            }
            if (!completer.markRunning(spec.accountId(), spec.jobId()).toCompletableFuture()
                    .get(5, TimeUnit.SECONDS).shouldRun()) {
                return;
            }
            if (fail) {
                completer
                        .complete(JobOutcome.failed(spec.accountId(), spec.jobId(), "worker_crashed",
                                "the test worker failed it"))
                        .toCompletableFuture().get(5, TimeUnit.SECONDS);
                return;
            }
            if (hold) {
                publish(spec, ProgressEvent.progress(spec.jobId(), 1, spec.steps(), System.currentTimeMillis()));
                runningJobs.computeIfAbsent(spec.jobId(), k -> new CompletableFuture<>()).complete(null);
                heldByAccount.computeIfAbsent(spec.accountId(), k -> new CompletableFuture<>()).complete(spec.jobId());
                // Off the consumer thread, so that other tests' jobs keep flowing meanwhile.
                released.computeIfAbsent(spec.jobId(), k -> new CompletableFuture<>())
                        .orTimeout(120, TimeUnit.SECONDS)
                        .whenCompleteAsync((ok, error) -> succeed(r, spec, false));
                return;
            }
            succeed(r, spec, partial);
        } catch (Exception e) {
            future(r.key()).completeExceptionally(e);
        }
    }

    private void succeed(ConsumerRecord<String, String> r, JobSpec spec, boolean partial) {
        try {
            for (int i = 0; i < spec.partialImageCount(); i++) {
                int step = spec.steps() * (i + 1) / (spec.partialImageCount() + 1);
                publish(spec, ProgressEvent.partialImage(spec.jobId(), i, step, spec.steps(), Kiln.png(8, 8), 8, 8,
                        System.currentTimeMillis()));
            }
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < (partial ? spec.n() - 1 : spec.n()); i++) {
                String key = S3Keys.output(spec.jobId(), i);
                Kiln.putObject(key, Kiln.png(spec.width() / 8, spec.height() / 8));
                keys.add(key);
            }
            completer.complete(JobOutcome.succeeded(spec.accountId(), spec.jobId(), keys))
                    .toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            future(r.key()).completeExceptionally(e);
        }
    }

    private void publish(JobSpec spec, ProgressEvent event) throws Exception {
        ProgressChannel.publish(redis.async(), spec.accountId(), event, PROGRESS_TTL).toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        redis.close();
        redisClient.shutdown();
    }
}
