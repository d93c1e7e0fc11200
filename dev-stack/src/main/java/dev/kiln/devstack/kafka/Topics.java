package dev.kiln.devstack.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates topics and waits until every partition has a leader, so the first produce does not race metadata. */
public final class Topics {

    private static final int REQUEST_TIMEOUT_MILLIS = 5_000;

    private Topics() {
    }

    public static void create(String bootstrapServers, Map<String, Integer> topicPartitions, Duration timeout) {
        if (topicPartitions.isEmpty()) {
            return;
        }
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, REQUEST_TIMEOUT_MILLIS);
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        properties.put(AdminClientConfig.CLIENT_ID_CONFIG, "kiln-dev-stack-admin");
        long deadlineNanos = System.nanoTime() + timeout.toNanos();
        try (Admin admin = Admin.create(properties)) {
            List<NewTopic> topics = new ArrayList<>();
            topicPartitions.forEach((name, partitions) -> topics.add(new NewTopic(name, partitions, (short) 1)));
            for (var entry : admin.createTopics(topics).values().entrySet()) {
                try {
                    entry.getValue().get(remainingMillis(deadlineNanos), TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + entry.getKey() + ": " + e.getCause(), e);
                    }
                }
            }
            awaitLeaders(admin, topicPartitions, deadlineNanos);
        } catch (TimeoutException e) {
            throw new IllegalStateException("kafka topics not created within " + timeout.toSeconds() + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating kafka topics", e);
        }
    }

    private static void awaitLeaders(Admin admin, Map<String, Integer> topicPartitions, long deadlineNanos)
            throws TimeoutException, InterruptedException {
        while (true) {
            try {
                Map<String, TopicDescription> descriptions = admin.describeTopics(topicPartitions.keySet())
                        .allTopicNames().get(remainingMillis(deadlineNanos), TimeUnit.MILLISECONDS);
                boolean ready = descriptions.values().stream()
                        .allMatch(d -> d.partitions().size() == topicPartitions.get(d.name())
                                && d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty()));
                if (ready) {
                    return;
                }
            } catch (ExecutionException e) {
                // Metadata not propagated yet (UnknownTopicOrPartition): ask again.
            }
            remainingMillis(deadlineNanos);
            Thread.sleep(100);
        }
    }

    private static long remainingMillis(long deadlineNanos) throws TimeoutException {
        long remaining = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
        if (remaining <= 0) {
            throw new TimeoutException("deadline passed");
        }
        return remaining;
    }
}
