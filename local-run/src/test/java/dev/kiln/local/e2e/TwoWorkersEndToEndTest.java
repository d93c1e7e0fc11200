package dev.kiln.local.e2e;

import static dev.kiln.local.e2e.E2eKiln.SIZE;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.kiln.common.jobs.JobStatus;
import dev.kiln.devstack.process.Polling;
import dev.kiln.local.admin.LocalAccount;
import dev.kiln.local.process.QuarkusApp;

/** Two workers in one consumer group split the jobs topic's partitions and both complete jobs. */
@Order(6)
@ExtendWith(KilnExtension.class)
class TwoWorkersEndToEndTest {

    private static final String TOPIC = "kiln.jobs.v1";
    private static final String GROUP = "kiln-gpu-workers";
    private static final int JOBS_PER_WORKER = 2;
    private static final int MAX_SUBMISSIONS = 40;

    private final E2eKiln e2e;

    TwoWorkersEndToEndTest(E2eKiln e2e) {
        this.e2e = e2e;
    }

    @Test
    void twoWorkersShareThePartitionsAndBothCompleteJobs() throws Exception {
        e2e.kiln().ensureWorkers(2);
        List<QuarkusApp> workers = e2e.kiln().workers();
        List<Set<Integer>> assignments = awaitTwoMembersWithPartitions();
        int partitions = e2e.kiln().stack().topics().get(TOPIC);
        Map<QuarkusApp, Double> succeededBefore = new HashMap<>();
        for (QuarkusApp worker : workers) {
            succeededBefore.put(worker, succeeded(worker));
        }

        // Job ids are random; keep submitting until each member's partitions hold enough of them (the API keys
        // records by job id, so the default partitioner's murmur2 tells where each one lands).
        LocalAccount account = e2e.newAccount();
        List<String> jobIds = new ArrayList<>();
        int[] perMember = new int[2];
        while ((perMember[0] < JOBS_PER_WORKER || perMember[1] < JOBS_PER_WORKER) && jobIds.size() < MAX_SUBMISSIONS) {
            String jobId = e2e.submitAsync(account, Map.of("prompt", "shared " + jobIds.size(), "size", SIZE,
                    "steps", 2)).get("id").asText();
            jobIds.add(jobId);
            int partition = Utils.toPositive(Utils.murmur2(jobId.getBytes(StandardCharsets.UTF_8))) % partitions;
            for (int member = 0; member < 2; member++) {
                if (assignments.get(member).contains(partition)) {
                    perMember[member]++;
                }
            }
        }
        assertThat(perMember[0]).isGreaterThanOrEqualTo(JOBS_PER_WORKER);
        assertThat(perMember[1]).isGreaterThanOrEqualTo(JOBS_PER_WORKER);

        for (String jobId : jobIds) {
            assertThat(e2e.awaitTerminal(account, jobId).status()).isEqualTo(JobStatus.SUCCEEDED);
        }
        double total = 0;
        for (QuarkusApp worker : workers) {
            double completed = succeeded(worker) - succeededBefore.get(worker);
            assertThat(completed).as("jobs completed by " + worker).isGreaterThan(0);
            total += completed;
        }
        assertThat(total).isEqualTo(jobIds.size());
    }

    private static double succeeded(QuarkusApp worker) {
        return E2eKiln.metric(worker, "kiln_worker_jobs_total", "outcome=\"succeeded\"");
    }

    /** Polls the group until it is stable with two members that each own partitions of the jobs topic. */
    private List<Set<Integer>> awaitTwoMembersWithPartitions() {
        AtomicReference<List<Set<Integer>>> assignments = new AtomicReference<>();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                e2e.kiln().stack().kafkaBootstrapServers(), AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000))) {
            Polling.await("two workers owning partitions of " + TOPIC, E2eKiln.JOB_TIMEOUT, () -> true, () -> {
                ConsumerGroupDescription group;
                try {
                    group = admin.describeConsumerGroups(List.of(GROUP)).all().get(10, TimeUnit.SECONDS).get(GROUP);
                } catch (Exception e) {
                    return false;
                }
                List<Set<Integer>> owned = group.members().stream().map(TwoWorkersEndToEndTest::partitionsOf)
                        .filter(set -> !set.isEmpty()).toList();
                assignments.set(owned);
                return group.groupState() == GroupState.STABLE && group.members().size() == 2 && owned.size() == 2;
            });
        }
        return assignments.get();
    }

    private static Set<Integer> partitionsOf(MemberDescription member) {
        return member.assignment().topicPartitions().stream().filter(tp -> tp.topic().equals(TOPIC))
                .map(TopicPartition::partition).collect(Collectors.toSet());
    }

}
