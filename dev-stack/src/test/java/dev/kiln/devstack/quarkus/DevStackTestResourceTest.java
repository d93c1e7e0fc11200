package dev.kiln.devstack.quarkus;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.kiln.devstack.DevStack;
import dev.kiln.devstack.StackUnderTest;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager.TestInjector;

/** The lifecycle Quarkus drives for a @QuarkusTest: init, start, inject, stop. */
class DevStackTestResourceTest {

    private static DevStackTestResource resource;
    private static Map<String, String> config;

    /** Stands in for a @QuarkusTest instance. */
    static class FakeTestInstance {
        @InjectDevStack
        DevStack stack;
        DevStack notAnnotated;
    }

    /** Per test rather than @BeforeAll, so that a skipped flavour shows up in Surefire as skipped tests. */
    @BeforeEach
    void startOnce() {
        StackUnderTest.assumeSwitchedFlavourCanRun();
        if (resource == null) {
            resource = new DevStackTestResource();
            resource.init(Map.of("topics", "custom.jobs:3"));
            config = resource.start();
        }
    }

    @AfterAll
    static void stop() {
        if (resource != null) {
            resource.stop();
            resource = null;
        }
    }

    @Test
    void startHandsKafkaRedisAndS3SettingsToTheApplication() {
        assertThat(config).containsKeys("kafka.bootstrap.servers",
                "kiln.api.redis.uri", "kiln.api.s3.endpoint", "kiln.api.s3.access-key", "kiln.api.s3.secret-key",
                "kiln.api.s3.bucket", "kiln.worker.redis.uri", "kiln.worker.s3.endpoint",
                "kiln.worker.s3.access-key", "kiln.worker.s3.secret-key", "kiln.worker.s3.bucket");
        assertThat(config.get("kafka.bootstrap.servers")).isEqualTo(resource.stack().kafkaBootstrapServers());
    }

    @Test
    void initArgsChooseTheTopics() throws Exception {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.get("kafka.bootstrap.servers"));
        try (Admin admin = Admin.create(properties)) {
            Map<String, TopicDescription> topics = admin.describeTopics(List.of("custom.jobs"))
                    .allTopicNames().get(30, TimeUnit.SECONDS);
            assertThat(topics.get("custom.jobs").partitions()).hasSize(3);
        }
    }

    @Test
    void injectsTheRunningStackIntoAnnotatedFieldsOnly() {
        FakeTestInstance test = new FakeTestInstance();
        resource.inject(new ReflectiveInjector(test));
        assertThat(test.stack).isSameAs(resource.stack());
        assertThat(test.notAnnotated).isNull();
    }

    /** What Quarkus's injector does: set each matching field of the test instance. */
    private record ReflectiveInjector(Object testInstance) implements TestInjector {
        @Override
        public void injectIntoFields(Object value, Predicate<Field> predicate) {
            for (Field field : testInstance.getClass().getDeclaredFields()) {
                if (predicate.test(field)) {
                    try {
                        field.setAccessible(true);
                        field.set(testInstance, value);
                    } catch (IllegalAccessException e) {
                        throw new AssertionError(e);
                    }
                }
            }
        }
    }
}
