package dev.kiln.worker.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import dev.kiln.worker.health.WorkerState;
import dev.kiln.worker.jobs.JobIntake;
import dev.kiln.worker.jobs.LinkedDevStackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.reactive.messaging.ChannelRegistry;

/** A worker whose model cannot be served never joins the consumer group, so it holds no partitions. */
@QuarkusTest
@TestProfile(UnservableModelTest.TestModelWithoutDevFlag.class)
@QuarkusTestResource(LinkedDevStackTestResource.class)
class UnservableModelTest {

    static final String GROUP = "kiln-test-unservable-model";

    /** The repository's sd-tiny model without the dev flag: refused at load. */
    public static class TestModelWithoutDevFlag implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("kiln.worker.allow-test-model", "false",
                    "mp.messaging.incoming.jobs-in.group.id", GROUP);
        }
    }

    @Inject
    WorkerState state;

    @Inject
    ChannelRegistry channels;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Test
    void takesNoPartitionsWhenTheModelIsRefused() throws Exception {
        await().atMost(Duration.ofSeconds(60)).until(() -> state.modelFailure() != null);

        assertThat(state.modelFailure()).contains("test model");
        assertThat(channels.getPausable(JobIntake.CHANNEL).isPaused()).isTrue();
        assertThat(groupMembers()).isEmpty();
    }

    private List<?> groupMembers() throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
        try (Admin admin = Admin.create(p)) {
            ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(GROUP)).describedGroups()
                    .get(GROUP).get(10, TimeUnit.SECONDS);
            return List.copyOf(group.members());
        } catch (ExecutionException e) {
            // A group nobody ever joined does not exist on the broker: no members.
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return List.of();
            }
            throw e;
        }
    }
}
