package dev.kiln.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

class DevStackConfigTest {

    @Test
    void defaultsCreateJobsTopicWith8PartitionsDeadLetterTopicWith1AndLedgerTopicWith4() {
        assertThat(DevStackConfig.defaults().topicPartitions())
                .containsExactly(Map.entry("kiln.jobs.v1", 8), Map.entry("kiln.jobs.dlq.v1", 1),
                        Map.entry("kiln.ledger.v1", 4));
    }

    @Test
    void containersSwitchSelectsContainersFlavour() {
        assertThat(Flavour.fromSwitch("containers")).isEqualTo(Flavour.CONTAINERS);
    }

    @Test
    void absentSwitchSelectsProcessesFlavour() {
        assertThat(Flavour.fromSwitch(null)).isEqualTo(Flavour.PROCESSES);
    }

    @Test
    void rejectsUnknownFlavourNamingTheSwitch() {
        assertThatThrownBy(() -> Flavour.fromSwitch("docker-compose"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-Dkiln.stack=docker-compose");
    }

    @Test
    void parsesTopicsSpecInOrder() {
        assertThat(DevStackConfig.parseTopics("a.b:3, c:1"))
                .containsExactly(Map.entry("a.b", 3), Map.entry("c", 1));
    }

    @Test
    void rejectsTopicWithoutPartitions() {
        assertThatThrownBy(() -> DevStackConfig.defaults().withTopics(Map.of("empty", 0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty");
    }

    @Test
    void rejectsSecretKeyShorterThanMinioAccepts() {
        assertThatThrownBy(() -> new DevStackConfig(Flavour.PROCESSES, Map.of(), "kiln", "a", "short",
                DevStackConfig.DEFAULT_START_TIMEOUT, null, 256))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
