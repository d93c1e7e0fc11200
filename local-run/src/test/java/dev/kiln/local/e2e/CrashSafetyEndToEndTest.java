package dev.kiln.local.e2e;

import static dev.kiln.local.e2e.E2eKiln.PRICE_MICROS;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.kiln.common.jobs.JobRecord;
import dev.kiln.common.jobs.JobStatus;
import dev.kiln.local.admin.LocalAccount;
import dev.kiln.local.process.QuarkusApp;

/**
 * A worker killed with SIGKILL in the middle of a batch: its uncommitted records are redelivered to the
 * restarted worker, every job still ends exactly once, and every wallet is right to the micro.
 */
@Order(5)
@ExtendWith(KilnExtension.class)
class CrashSafetyEndToEndTest {

    private static final int JOBS = 10;
    private static final int IMAGES_PER_JOB = 2;

    private final E2eKiln e2e;

    CrashSafetyEndToEndTest(E2eKiln e2e) {
        this.e2e = e2e;
    }

    @Test
    void workerKilledMidBatchLeavesEveryJobSettledExactlyOnceAndEveryWalletExact() {
        e2e.kiln().ensureWorkers(1);
        QuarkusApp doomed = e2e.kiln().workers().get(0);
        LocalAccount first = e2e.newAccount();
        LocalAccount second = e2e.newAccount();
        List<Submitted> jobs = new ArrayList<>();
        for (int i = 0; i < JOBS; i++) {
            LocalAccount account = i % 2 == 0 ? first : second;
            // Bigger and longer than the other tests' jobs: the worker stays busy for seconds, not milliseconds.
            String jobId = e2e.submitAsync(account, Map.of("prompt", "crash " + i, "n", IMAGES_PER_JOB,
                    "size", "256x256", "steps", 30, "scheduler", "ddim")).get("id").asText();
            jobs.add(new Submitted(account, jobId));
        }

        // Tight polling: a batch on the tiny model is short, and the kill must land inside one.
        E2eKiln.awaitTightly("a job running on " + doomed, E2eKiln.JOB_TIMEOUT, doomed::isAlive,
                () -> jobs.stream().anyMatch(job -> e2e.job(job.account(), job.jobId()).status() == JobStatus.RUNNING));
        e2e.kiln().killWorker(doomed);
        List<String> interrupted = jobs.stream()
                .filter(job -> e2e.job(job.account(), job.jobId()).status() == JobStatus.RUNNING)
                .map(Submitted::jobId).toList();
        e2e.kiln().ensureWorkers(1);

        for (Submitted job : jobs) {
            JobRecord record = e2e.awaitTerminal(job.account(), job.jobId());
            assertThat(record.status()).as(job.jobId()).isEqualTo(JobStatus.SUCCEEDED);
            assertThat(record.resultKeys()).hasSize(IMAGES_PER_JOB);
            assertThat(record.resultKeys()).allMatch(e2e::objectExists);
            assertThat(record.chargedMicros()).isEqualTo(IMAGES_PER_JOB * PRICE_MICROS);
            assertThat(e2e.ledgerEntries(job.account(), "settle", job.jobId())).as("settlements of " + job.jobId())
                    .hasSize(1);
        }
        assertThat(interrupted).as("jobs the kill interrupted").isNotEmpty();
        for (String jobId : interrupted) {
            Submitted job = jobs.stream().filter(j -> j.jobId().equals(jobId)).findFirst().orElseThrow();
            assertThat(e2e.job(job.account(), jobId).attempts()).as("attempts of interrupted " + jobId)
                    .isGreaterThanOrEqualTo(2);
        }
        for (LocalAccount account : List.of(first, second)) {
            long jobsOfAccount = jobs.stream().filter(job -> job.account().equals(account)).count();
            long expectedBalance = account.balanceMicros() - jobsOfAccount * IMAGES_PER_JOB * PRICE_MICROS;
            assertThat(e2e.balanceMicros(account)).isEqualTo(expectedBalance);
            assertThat(e2e.reservedMicros(account)).isZero();
            JsonNode ledger = e2e.ledger(account);
            assertThat(ledger.get("recomputed_balance_micros").asLong()).isEqualTo(expectedBalance);
            assertThat(ledger.get("recomputed_reserved_micros").asLong()).isZero();
        }
    }

    private record Submitted(LocalAccount account, String jobId) {
    }
}
