package dev.kiln.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.minio.GetObjectArgs;
import io.minio.GetPresignedObjectUrlArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.http.Method;
import okhttp3.OkHttpClient;

/** The services of a running stack, reached over real sockets with the clients the apps use. */
class RunningStackTest {

    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(30);
    private static DevStack stack;

    /** Per test rather than @BeforeAll, so that a skipped flavour shows up in Surefire as skipped tests. */
    @BeforeEach
    void startStackOnce() {
        if (stack == null) {
            stack = StackUnderTest.startFromSwitch();
        }
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            stack.close();
            stack = null;
        }
    }

    @Test
    void kafkaDeliversProducedRecordToConsumerGroup() throws Exception {
        String topic = "kiln.jobs.v1";
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProperties());
                KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProperties("kiln-gpu-workers"))) {
            producer.send(new ProducerRecord<>(topic, "job-1", "{\"v\":1}")).get(30, TimeUnit.SECONDS);
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<String, String>> received = new ArrayList<>();
            long deadlineNanos = System.nanoTime() + CLIENT_TIMEOUT.toNanos();
            while (received.isEmpty() && System.nanoTime() < deadlineNanos) {
                consumer.poll(Duration.ofMillis(500)).forEach(received::add);
            }
            assertThat(received).singleElement().satisfies(record -> {
                assertThat(record.key()).isEqualTo("job-1");
                assertThat(record.value()).isEqualTo("{\"v\":1}");
            });
        }
    }

    @Test
    void kafkaHasTheConfiguredTopicsWithTheirPartitionCounts() throws Exception {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers());
        try (Admin admin = Admin.create(properties)) {
            Map<String, TopicDescription> topics = admin.describeTopics(List.of("kiln.jobs.v1", "kiln.jobs.dlq.v1",
                    "kiln.ledger.v1"))
                    .allTopicNames().get(30, TimeUnit.SECONDS);
            assertThat(topics.get("kiln.jobs.v1").partitions()).hasSize(8);
            assertThat(topics.get("kiln.jobs.dlq.v1").partitions()).hasSize(1);
            assertThat(topics.get("kiln.ledger.v1").partitions()).hasSize(4);
        }
    }

    @Test
    void redisRunsLuaScriptWithKeysAndArgs() {
        RedisClient client = RedisClient.create(stack.redisUri());
        client.setDefaultTimeout(CLIENT_TIMEOUT);
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            RedisCommands<String, String> redis = connection.sync();
            redis.set("kiln:test:balance", "10");
            Long balance = redis.eval("return redis.call('INCRBY', KEYS[1], ARGV[1])", ScriptOutputType.INTEGER,
                    new String[] { "kiln:test:balance" }, "5");
            assertThat(balance).isEqualTo(15L);
        } finally {
            client.shutdown();
        }
    }

    @Test
    void redisRunsWithTheDurabilitySettingsKilnRequires() {
        RedisClient client = RedisClient.create(RedisURI.create(stack.redisUri()));
        client.setDefaultTimeout(CLIENT_TIMEOUT);
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            RedisCommands<String, String> redis = connection.sync();
            assertThat(redis.configGet("appendonly")).containsEntry("appendonly", "yes");
            assertThat(redis.configGet("appendfsync")).containsEntry("appendfsync", "everysec");
            assertThat(redis.configGet("maxmemory-policy")).containsEntry("maxmemory-policy", "noeviction");
        } finally {
            client.shutdown();
        }
    }

    @Test
    void redisComesBackFromItsAppendOnlyFileAndLettuceReconnects() {
        ClientResources resources = ClientResources.builder()
                .reconnectDelay(Delay.constant(Duration.ofMillis(100)))
                .build();
        RedisClient client = RedisClient.create(resources, RedisURI.create(stack.redisUri()));
        client.setDefaultTimeout(CLIENT_TIMEOUT);
        client.setOptions(ClientOptions.builder().autoReconnect(true).build());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            RedisCommands<String, String> redis = connection.sync();
            redis.set("kiln:test:before-restart", "1");

            stack.restartRedis();

            // Replayed from the AOF the stopped server fsynced on SIGTERM; answered over a new connection.
            assertThat(redis.get("kiln:test:before-restart")).isEqualTo("1");
            redis.set("kiln:test:after-restart", "2");
            assertThat(redis.get("kiln:test:after-restart")).isEqualTo("2");
        } finally {
            client.shutdown();
            resources.shutdown();
        }
    }

    @Test
    void redisKilledAndRestartedFromItsAppendOnlyFileKeepsAcknowledgedWrites() {
        assumeTrue(stack.flavour() == Flavour.PROCESSES, "restartRedisFromAof is a processes-flavour hook");
        RedisClient client = RedisClient.create(stack.redisUri());
        client.setDefaultTimeout(CLIENT_TIMEOUT);
        client.setOptions(ClientOptions.builder().autoReconnect(true).build());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            RedisCommands<String, String> redis = connection.sync();
            redis.hset("kiln:test:wallet", Map.of("balance_micros", "1000", "reserved_micros", "0"));
            redis.hincrby("kiln:test:wallet", "balance_micros", -250);

            stack.restartRedisFromAof();

            assertThat(redis.hget("kiln:test:wallet", "balance_micros")).isEqualTo("750");
        } finally {
            client.shutdown();
        }
    }

    @Test
    void kafkaRestartedKeepsItsRecords() throws Exception {
        assumeTrue(stack.flavour() == Flavour.PROCESSES, "restartKafka is a processes-flavour hook");
        String topic = "kiln.jobs.dlq.v1";
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProperties())) {
            producer.send(new ProducerRecord<>(topic, "before-restart", "{}")).get(30, TimeUnit.SECONDS);
        }

        stack.restartKafka();

        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProperties("restart-check"))) {
            consumer.subscribe(List.of(topic));
            List<String> keys = new ArrayList<>();
            long deadlineNanos = System.nanoTime() + CLIENT_TIMEOUT.toNanos();
            while (!keys.contains("before-restart") && System.nanoTime() < deadlineNanos) {
                consumer.poll(Duration.ofMillis(500)).forEach(record -> keys.add(record.key()));
            }
            assertThat(keys).contains("before-restart");
        }
    }

    @Test
    void s3StoresAndReturnsAnObject() throws Exception {
        byte[] png = "not really a png".getBytes(StandardCharsets.UTF_8);
        MinioClient minio = minio();
        S3Settings s3 = stack.s3();
        minio.putObject(PutObjectArgs.builder().bucket(s3.bucket()).object("outputs/job-1/0.png")
                .stream(new ByteArrayInputStream(png), png.length, -1).contentType("image/png").build());
        try (InputStream in = minio
                .getObject(GetObjectArgs.builder().bucket(s3.bucket()).object("outputs/job-1/0.png").build())) {
            assertThat(in.readAllBytes()).isEqualTo(png);
        }
    }

    @Test
    void s3ServesAnObjectThroughAPresignedUrl() throws Exception {
        byte[] png = "presigned bytes".getBytes(StandardCharsets.UTF_8);
        MinioClient minio = minio();
        S3Settings s3 = stack.s3();
        minio.putObject(PutObjectArgs.builder().bucket(s3.bucket()).object("inputs/job-2.png")
                .stream(new ByteArrayInputStream(png), png.length, -1).build());
        String url = minio.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder()
                .method(Method.GET).bucket(s3.bucket()).object("inputs/job-2.png").expiry(300).build());

        HttpClient http = HttpClient.newBuilder().connectTimeout(CLIENT_TIMEOUT).build();
        HttpResponse<byte[]> response = http.send(
                HttpRequest.newBuilder(URI.create(url)).timeout(CLIENT_TIMEOUT).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(png);
    }

    @Test
    void settingsUseThePropertyNamesTheQuarkusAppsRead() {
        Map<String, String> settings = stack.settings();
        assertThat(settings).containsEntry("kafka.bootstrap.servers", stack.kafkaBootstrapServers())
                .containsEntry("kiln.api.redis.uri", stack.redisUri())
                .containsEntry("kiln.worker.redis.uri", stack.redisUri())
                .containsEntry("kiln.api.s3.endpoint", stack.s3().endpoint())
                .containsEntry("kiln.worker.s3.endpoint", stack.s3().endpoint())
                .containsEntry("kiln.api.s3.access-key", stack.s3().accessKey())
                .containsEntry("kiln.worker.s3.secret-key", stack.s3().secretKey())
                .containsEntry("kiln.api.s3.bucket", "kiln")
                .containsEntry("kiln.worker.s3.bucket", "kiln");
    }

    private static MinioClient minio() {
        S3Settings s3 = stack.s3();
        OkHttpClient http = new OkHttpClient.Builder()
                .connectTimeout(CLIENT_TIMEOUT)
                .readTimeout(CLIENT_TIMEOUT)
                .writeTimeout(CLIENT_TIMEOUT)
                .build();
        return MinioClient.builder().endpoint(s3.endpoint()).credentials(s3.accessKey(), s3.secretKey())
                .region(S3Settings.REGION).httpClient(http).build();
    }

    private static Properties producerProperties() {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers());
        properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        properties.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        properties.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        return properties;
    }

    private static Properties consumerProperties(String groupId) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers());
        properties.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return properties;
    }
}
