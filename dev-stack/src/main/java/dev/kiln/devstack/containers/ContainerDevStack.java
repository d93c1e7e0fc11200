package dev.kiln.devstack.containers;

import java.util.List;
import java.util.Map;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.MinIOContainer;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;

import dev.kiln.devstack.DevStack;
import dev.kiln.devstack.DevStackConfig;
import dev.kiln.devstack.Flavour;
import dev.kiln.devstack.S3Settings;
import dev.kiln.devstack.kafka.Topics;
import dev.kiln.devstack.process.LoopbackPorts;
import dev.kiln.devstack.process.Polling;
import dev.kiln.devstack.redis.RedisServer;
import dev.kiln.devstack.s3.Buckets;

/** The containers flavour ({@code -Dkiln.stack=containers}): apache/kafka, redis and minio images via Testcontainers. */
public final class ContainerDevStack implements DevStack {

    static final DockerImageName KAFKA_IMAGE = DockerImageName.parse("apache/kafka:4.1.2");
    static final DockerImageName REDIS_IMAGE = DockerImageName.parse("redis:7.2-alpine");
    static final DockerImageName MINIO_IMAGE = DockerImageName.parse("minio/minio:RELEASE.2023-09-04T19-57-37Z");
    private static final int REDIS_PORT = 6379;

    private final DevStackConfig config;
    private final KafkaContainer kafka;
    private final GenericContainer<?> redis;
    private final MinIOContainer minio;
    private boolean closed;

    private ContainerDevStack(DevStackConfig config, KafkaContainer kafka, GenericContainer<?> redis, MinIOContainer minio) {
        this.config = config;
        this.kafka = kafka;
        this.redis = redis;
        this.minio = minio;
    }

    /** True when Testcontainers can reach a Docker daemon. */
    public static boolean isDockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    public static ContainerDevStack start(DevStackConfig config) {
        if (!isDockerAvailable()) {
            throw new DockerUnavailableException();
        }
        KafkaContainer kafka = new KafkaContainer(KAFKA_IMAGE);
        // A fixed host port, so that restartRedis() brings Redis back where clients expect it.
        int redisHostPort = LoopbackPorts.allocate();
        GenericContainer<?> redis = new GenericContainer<>(REDIS_IMAGE)
                // Durable as in production (docs/architecture.md); restartRedis() still starts an empty container.
                .withCommand("redis-server", "--appendonly", "yes", "--appendfsync", "everysec")
                .withExposedPorts(REDIS_PORT)
                // The durability settings Kiln requires of its Redis (docs/architecture.md, "Durability").
                .withCommand("redis-server", "--appendonly", "yes", "--appendfsync", "everysec",
                        "--maxmemory-policy", "noeviction")
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withPortBindings(
                        new PortBinding(Ports.Binding.bindPort(redisHostPort), new ExposedPort(REDIS_PORT))));
        MinIOContainer minio = new MinIOContainer(MINIO_IMAGE)
                .withUserName(config.s3AccessKey())
                .withPassword(config.s3SecretKey());
        ContainerDevStack stack = new ContainerDevStack(config, kafka, redis, minio);
        try {
            kafka.start();
            redis.start();
            minio.start();
            Topics.create(kafka.getBootstrapServers(), config.topicPartitions(), config.startTimeout());
            Buckets.ensureExists(stack.s3(), config.startTimeout());
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
        return stack;
    }

    @Override
    public Flavour flavour() {
        return Flavour.CONTAINERS;
    }

    @Override
    public String kafkaBootstrapServers() {
        return kafka.getBootstrapServers();
    }

    @Override
    public String redisUri() {
        return "redis://" + redis.getHost() + ":" + redis.getMappedPort(REDIS_PORT);
    }

    @Override
    public S3Settings s3() {
        return new S3Settings(minio.getS3URL(), config.s3AccessKey(), config.s3SecretKey(), config.bucket());
    }

    @Override
    public Map<String, Integer> topics() {
        return config.topicPartitions();
    }

    @Override
    public void restartRedis() {
        // A docker restart keeps the container's filesystem, so Redis replays its AOF as the process flavour does.
        redis.getDockerClient().restartContainerCmd(redis.getContainerId()).exec();
        Polling.await("redis container to answer after its restart", config.startTimeout(), () -> true,
                () -> RedisServer.answersPing(redis.getMappedPort(REDIS_PORT)));
    }

    @Override
    public List<ProcessHandle> processes() {
        return List.of();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        minio.stop();
        redis.stop();
        kafka.stop();
    }
}
