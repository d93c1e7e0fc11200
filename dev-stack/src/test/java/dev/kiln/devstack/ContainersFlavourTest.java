package dev.kiln.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import org.junit.jupiter.api.Test;

import dev.kiln.devstack.containers.ContainerDevStack;
import dev.kiln.devstack.containers.DockerUnavailableException;

/** The Testcontainers flavour; skipped (and says so) where there is no Docker daemon. */
class ContainersFlavourTest {

    @Test
    void containersFlavourStartsKafkaRedisAndMinio() {
        StackUnderTest.assumeDocker();
        try (DevStack stack = DevStack.start(DevStackConfig.defaults().withFlavour(Flavour.CONTAINERS))) {
            assertThat(stack.flavour()).isEqualTo(Flavour.CONTAINERS);
            assertThat(stack.settings()).containsKeys("kafka.bootstrap.servers", "kiln.api.redis.uri", "kiln.api.s3.endpoint");
            assertThat(stack.processes()).isEmpty();
        }
    }

    @Test
    void containersFlavourWithoutDockerFailsWithAClearMessage() {
        assumeFalse(ContainerDevStack.isDockerAvailable(),
                "Docker is available here, so the no-Docker message cannot be checked");
        assertThatThrownBy(
                () -> DevStack.start(DevStackConfig.defaults().withFlavour(Flavour.CONTAINERS)))
                .isInstanceOf(DockerUnavailableException.class)
                .hasMessageContaining("needs Docker");
    }
}
