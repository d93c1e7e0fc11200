package dev.kiln.worker.jobs;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.ConfigProvider;

import dev.kiln.common.jobs.JobCompleter;
import dev.kiln.common.jobs.JobJson;
import dev.kiln.common.jobs.JobRecord;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.common.redis.KilnScripts;
import dev.kiln.common.redis.RedisConnections;
import dev.kiln.common.redis.RedisKeys;
import dev.kiln.common.redis.ScriptRunner;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.StatObjectArgs;

/**
 * What the API does before a worker sees a job, against the test's real Redis, Kafka and S3:
 * creates a funded account, submits a job through common's submit script (reserving credits),
 * publishes its spec on {@code kiln.jobs.v1} with a plain producer; plus ways to read the outcome.
 */
public final class KilnFixture implements AutoCloseable {
    public static final long PRICE_MICROS = 1_000;
    public static final long INITIAL_BALANCE_MICROS = 100_000;
    static final String JOBS_TOPIC = "kiln.jobs.v1";
    static final String DLQ_TOPIC = "kiln.jobs.dlq.v1";
    static final String WORKER_GROUP = "kiln-gpu-workers";

    private final RedisClient redisClient;
    private final StatefulRedisConnection<String, String> connection;
    private final StatefulRedisPubSubConnection<String, String> pubsub;
    final RedisCommands<String, String> redis;
    final ScriptRunner scripts;
    final JobCompleter completer;
    private final KafkaProducer<String, String> producer;
    final MinioClient s3;
    final String bucket;

    private final String bootstrapServers;

    /** Inside a {@code @QuarkusTest}: the application's configuration. */
    KilnFixture() throws Exception {
        this(name -> ConfigProvider.getConfig().getOptionalValue(name, String.class).orElse(null));
    }

    /**
     * @param settings the dev stack's settings by name ({@code DevStack.settings()::get} outside Quarkus);
     *        {@code kiln.test.direct.*} wins over {@code kiln.worker.*} when present
     */
    public KilnFixture(Function<String, String> settings) throws Exception {
        Function<String, String> direct = name -> Optional.ofNullable(settings.apply("kiln.test.direct." + name))
                .orElseGet(() -> Objects.requireNonNull(settings.apply("kiln.worker." + name), name));
        bootstrapServers = Objects.requireNonNull(settings.apply("kafka.bootstrap.servers"));
        String redisUri = direct.apply("redis.uri");
        redisClient = RedisConnections.client(redisUri, 5000);
        connection = redisClient.connect();
        pubsub = redisClient.connectPubSub();
        redis = connection.sync();
        scripts = new ScriptRunner(connection.async());
        completer = new JobCompleter(scripts);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "20000");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        producer = new KafkaProducer<>(p);
        s3 = MinioClient.builder().endpoint(direct.apply("s3.endpoint"))
                .credentials(settings.apply("kiln.worker.s3.access-key"), settings.apply("kiln.worker.s3.secret-key"))
                .region("us-east-1").build();
        s3.setTimeout(10_000, 10_000, 10_000);
        bucket = settings.apply("kiln.worker.s3.bucket");
        if (!s3.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
            s3.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
        }
    }

    /** A PAYG account with {@link #INITIAL_BALANCE_MICROS} and an active key hash {@code kh}. */
    public String newAccount() {
        String account = "w" + UUID.randomUUID().toString().substring(0, 8);
        redis.hset(RedisKeys.account(account), Map.of("plan", "payg", "tier", "t",
                "balance_micros", Long.toString(INITIAL_BALANCE_MICROS), "reserved_micros", "0"));
        redis.hset(RedisKeys.apiKey(account, "kh"), Map.of("status", "active"));
        return account;
    }

    public static String newJobId() {
        return "img_" + UUID.randomUUID().toString().replace("-", "");
    }

    /** A small guided text-to-image spec the tiny model runs in milliseconds. */
    static JobSpec txt2img(String account, String jobId, int n, long seed) {
        return new JobSpec(JobSpec.SCHEMA_VERSION, jobId, account, JobSpec.MODE_TXT2IMG, "sd-1.5", "a red fox",
                null, n, 32, 32, 4, 7.5, null, seed, "pndm", null, System.currentTimeMillis(),
                System.currentTimeMillis() + 600_000);
    }

    static JobSpec img2img(String account, String jobId, int n, String inputKey) {
        return new JobSpec(JobSpec.SCHEMA_VERSION, jobId, account, JobSpec.MODE_IMG2IMG, "sd-1.5", "a red fox",
                "blurry", n, 32, 32, 4, 7.5, 0.75, 7L, "pndm", inputKey, System.currentTimeMillis(),
                System.currentTimeMillis() + 600_000);
    }

    /** Runs common's submit script as the API does: reserves n x price and writes the queued job record. */
    public void submit(JobSpec spec) throws Exception {
        String account = spec.accountId();
        String jobId = spec.jobId();
        String[] keys = { RedisKeys.account(account), RedisKeys.apiKey(account, "kh"),
                RedisKeys.rateLimit(account, "req", "kh"), RedisKeys.rateLimit(account, "img", "kh"),
                RedisKeys.job(account, jobId), RedisKeys.ledger(account), RedisKeys.idempotency(account, "none") };
        List<Object> reply = scripts.run(KilnScripts.SUBMIT, keys, jobId, Integer.toString(spec.n()),
                Long.toString(PRICE_MICROS), JobJson.toJson(spec), spec.model(), "", "86400", "3600", "60000", "0",
                "t", "t", "100000", "100000").toCompletableFuture().get(5, TimeUnit.SECONDS);
        if (!"ok".equals(ScriptRunner.str(reply, 0))) {
            throw new IllegalStateException("submit refused: " + reply);
        }
    }

    /** Publishes a record on the jobs topic (key = job id) and waits for the broker's ack. */
    RecordMetadata publish(String key, String value) throws Exception {
        return producer.send(new ProducerRecord<>(JOBS_TOPIC, key, value)).get(20, TimeUnit.SECONDS);
    }

    public RecordMetadata publish(JobSpec spec) throws Exception {
        return publish(spec.jobId(), JobJson.toJson(spec));
    }

    /** The worker group's committed offset (next record to read) on the record's partition; -1 if none. */
    public long committedOffset(RecordMetadata record) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        try (Admin admin = Admin.create(p)) {
            OffsetAndMetadata committed = admin.listConsumerGroupOffsets(WORKER_GROUP).partitionsToOffsetAndMetadata()
                    .get(10, TimeUnit.SECONDS).get(partition);
            return committed == null ? -1 : committed.offset();
        }
    }

    /** Subscribes to the job's done channel; the future completes with the terminal status announced. */
    public CompletableFuture<String> whenDone(String jobId) throws Exception {
        CompletableFuture<String> done = new CompletableFuture<>();
        String channel = RedisKeys.jobDoneChannel(jobId);
        pubsub.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String ch, String message) {
                if (ch.equals(channel)) {
                    done.complete(message);
                }
            }
        });
        pubsub.sync().subscribe(channel);
        return done;
    }

    /** Subscribes to a channel (returns once Redis confirmed); every message is handed to {@code onMessage}. */
    public void subscribe(String channel, Consumer<String> onMessage) {
        pubsub.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String ch, String message) {
                if (ch.equals(channel)) {
                    onMessage.accept(message);
                }
            }
        });
        pubsub.sync().subscribe(channel);
    }

    /** Content type S3 stored an object with. */
    public String contentType(String key) throws Exception {
        return s3.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build()).contentType();
    }

    public JobRecord job(String account, String jobId) {
        return JobRecord.fromHash(jobId, redis.hgetall(RedisKeys.job(account, jobId)));
    }

    public long balance(String account) {
        return Long.parseLong(redis.hget(RedisKeys.account(account), "balance_micros"));
    }

    long reserved(String account) {
        return Long.parseLong(redis.hget(RedisKeys.account(account), "reserved_micros"));
    }

    public long settleEntries(String account) {
        return redis.xrange(RedisKeys.ledger(account), Range.create("-", "+")).stream()
                .filter(m -> "settle".equals(m.getBody().get("type"))).count();
    }

    byte[] object(String key) throws Exception {
        try (InputStream in = s3.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
            return in.readAllBytes();
        }
    }

    public boolean objectExists(String key) {
        try {
            s3.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build());
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    void putObject(String key, byte[] bytes) throws Exception {
        s3.putObject(PutObjectArgs.builder().bucket(bucket).object(key)
                .stream(new ByteArrayInputStream(bytes), bytes.length, -1).contentType("image/png").build());
    }

    /** The first dead-letter record with this key, reading the topic from the start, within the timeout. */
    Optional<ConsumerRecord<String, String>> deadLetter(String key, Duration timeout) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "dlq-reader-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(DLQ_TOPIC));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    if (key.equals(r.key())) {
                        return Optional.of(r);
                    }
                }
            }
        }
        return Optional.empty();
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
        pubsub.close();
        connection.close();
        redisClient.shutdown();
    }
}
