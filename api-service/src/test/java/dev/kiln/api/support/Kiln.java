package dev.kiln.api.support;

import static io.restassured.RestAssured.given;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.ConfigProvider;

import dev.kiln.api.admin.AdminServer;
import dev.kiln.common.redis.RedisConnections;
import dev.kiln.common.redis.RedisKeys;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.StatObjectArgs;
import io.quarkus.arc.Arc;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;

/**
 * Test-side access to the real services the app runs against (from the dev stack's settings):
 * the admin API, Redis, S3 and Kafka — to set up accounts and to check what was or was not written.
 */
public final class Kiln {
    public static final String ADMIN = "Bearer test-admin-token";
    private static RedisClient redisClient;
    private static StatefulRedisConnection<String, String> redisConnection;
    private static MinioClient minio;
    private static Admin kafkaAdmin;

    private Kiln() {
    }

    public static String config(String name) {
        return ConfigProvider.getConfig().getValue(name, String.class);
    }

    public static synchronized RedisCommands<String, String> redis() {
        if (redisConnection == null) {
            redisClient = RedisConnections.client(config("kiln.api.redis.uri"), 5000);
            redisConnection = redisClient.connect();
        }
        return redisConnection.sync();
    }

    public static synchronized MinioClient s3() {
        if (minio == null) {
            minio = MinioClient.builder().endpoint(config("kiln.api.s3.endpoint"))
                    .credentials(config("kiln.api.s3.access-key"), config("kiln.api.s3.secret-key"))
                    .region("us-east-1").build();
        }
        return minio;
    }

    public static synchronized Admin kafka() {
        if (kafkaAdmin == null) {
            Properties p = new Properties();
            p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config("kafka.bootstrap.servers"));
            kafkaAdmin = Admin.create(p);
        }
        return kafkaAdmin;
    }

    /** A request to the admin API's own port, without credentials. */
    public static RequestSpecification adminPort() {
        return given().port(Arc.container().instance(AdminServer.class).get().port());
    }

    /** A request to the admin API's own port with the admin token. */
    public static RequestSpecification admin() {
        return adminPort().header("Authorization", ADMIN);
    }

    public static String bucket() {
        return config("kiln.api.s3.bucket");
    }

    /** A new account with an API key; {@code grossTopUpMicros} > 0 tops it up (the 5 % fee applies). */
    public static Account account(String plan, String tier, long grossTopUpMicros) {
        String id = "t-" + UUID.randomUUID().toString().substring(0, 12);
        admin().contentType(ContentType.JSON)
                .body(Map.of("id", id, "plan", plan, "tier", tier))
                .post("/admin/v1/accounts").then().statusCode(201);
        String key = admin().contentType(ContentType.JSON).body("{}")
                .post("/admin/v1/accounts/" + id + "/keys").then().statusCode(201).extract().path("key");
        if (grossTopUpMicros > 0) {
            admin().contentType(ContentType.JSON)
                    .body(Map.of("amount_micros", grossTopUpMicros))
                    .post("/admin/v1/accounts/" + id + "/top-ups").then().statusCode(200);
        }
        return new Account(id, key);
    }

    /** An account and key. */
    public record Account(String id, String key) {
        public String bearer() {
            return "Bearer " + key;
        }

        public long balanceMicros() {
            return Long.parseLong(redis().hget(RedisKeys.account(id), "balance_micros"));
        }

        public long reservedMicros() {
            return Long.parseLong(redis().hget(RedisKeys.account(id), "reserved_micros"));
        }

        public long ledgerLength() {
            return redis().xlen(RedisKeys.ledger(id));
        }

        /** Balance recomputed from the ledger alone. */
        public long ledgerBalanceMicros() {
            return redis().xrange(RedisKeys.ledger(id), Range.create("-", "+")).stream()
                    .mapToLong(m -> Long.parseLong(m.getBody().get("balance_delta_micros"))).sum();
        }

        public long jobCount() {
            long count = 0;
            ScanIterator<String> it = ScanIterator.scan(redis(),
                    ScanArgs.Builder.matches("kiln:{a:" + id + "}:job:*").limit(1000));
            while (it.hasNext()) {
                it.next();
                count++;
            }
            return count;
        }

        public Map<String, String> job(String jobId) {
            return redis().hgetall(RedisKeys.job(id, jobId));
        }

        /** What must not change when a request is refused. */
        public Snapshot snapshot() {
            return new Snapshot(balanceMicros(), reservedMicros(), ledgerLength(), jobCount(), topicEndOffsets());
        }
    }

    /** Money, records and queue of an account at one moment. */
    public record Snapshot(long balanceMicros, long reservedMicros, long ledgerLength, long jobs, long queueEndOffsets) {
    }

    /** Sum of the jobs topic's end offsets: grows by one per enqueued job. */
    public static long topicEndOffsets() {
        try {
            var topic = kafka().describeTopics(java.util.List.of("kiln.jobs.v1")).allTopicNames()
                    .get(10, TimeUnit.SECONDS).get("kiln.jobs.v1");
            Map<TopicPartition, OffsetSpec> req = new HashMap<>();
            topic.partitions().forEach(p -> req.put(new TopicPartition("kiln.jobs.v1", p.partition()), OffsetSpec.latest()));
            return kafka().listOffsets(req).all().get(10, TimeUnit.SECONDS).values().stream()
                    .mapToLong(i -> i.offset()).sum();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] png(int width, int height) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                img.setRGB(x, y, (x * 7 + y * 13) & 0xFFFFFF);
            }
        }
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            javax.imageio.ImageIO.write(img, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void putObject(String key, byte[] bytes) throws Exception {
        s3().putObject(PutObjectArgs.builder().bucket(bucket()).object(key)
                .stream(new ByteArrayInputStream(bytes), bytes.length, -1).contentType("image/png").build());
    }

    public static byte[] getObject(String key) throws Exception {
        try (InputStream in = s3().getObject(GetObjectArgs.builder().bucket(bucket()).object(key).build())) {
            return in.readAllBytes();
        }
    }

    public static boolean objectExists(String key) {
        try {
            s3().statObject(StatObjectArgs.builder().bucket(bucket()).object(key).build());
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
