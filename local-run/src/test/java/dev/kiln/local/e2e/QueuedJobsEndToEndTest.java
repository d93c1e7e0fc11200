package dev.kiln.local.e2e;

import static dev.kiln.local.e2e.E2eKiln.PRICE_MICROS;
import static dev.kiln.local.e2e.E2eKiln.SIZE;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.kiln.common.jobs.JobRecord;
import dev.kiln.common.jobs.JobStatus;
import dev.kiln.devstack.process.Polling;
import dev.kiln.local.admin.LocalAccount;
import dev.kiln.local.process.QuarkusApp;

/** Jobs that never run: canceled while queued, or expired because their deadline passed before a worker got them. */
@Order(1)
@ExtendWith(KilnExtension.class)
class QueuedJobsEndToEndTest {

    private final E2eKiln e2e;

    QueuedJobsEndToEndTest(E2eKiln e2e) {
        this.e2e = e2e;
    }

    @BeforeEach
    void noWorkerConsumes() {
        // With no consumer in the group a submitted job stays queued for as long as the test needs.
        e2e.kiln().ensureWorkers(0);
    }

    @Test
    void cancelingAQueuedJobRefundsItsWholeReservation() {
        LocalAccount account = e2e.newAccount();
        String jobId = e2e.submitAsync(account, Map.of("prompt", "never runs", "n", 2, "size", SIZE, "steps", 2))
                .get("id").asText();
        assertThat(e2e.balanceMicros(account)).isEqualTo(account.balanceMicros() - 2 * PRICE_MICROS);

        HttpResponse<String> canceled = e2e.delete(account, "v1/images/jobs/" + jobId);

        assertThat(canceled.statusCode()).isEqualTo(200);
        assertThat(E2eKiln.readJson(canceled.body()).get("status").asText()).isEqualTo("canceled");
        JobRecord record = e2e.job(account, jobId);
        assertThat(record.status()).isEqualTo(JobStatus.CANCELED);
        assertThat(record.refundedMicros()).isEqualTo(2 * PRICE_MICROS);
        assertThat(e2e.balanceMicros(account)).isEqualTo(account.balanceMicros());
        assertThat(e2e.reservedMicros(account)).isZero();
        assertThat(e2e.ledger(account).get("recomputed_balance_micros").asLong()).isEqualTo(account.balanceMicros());
    }

    @Test
    void jobWhoseDeadlinePassedWhileQueuedIsExpiredAndRefundedInsteadOfRun() {
        LocalAccount account = e2e.newAccount();
        QuarkusApp impatientApi = e2e.kiln().startExtraApi("api-1s-deadline", Map.of("kiln.api.jobs.deadline-seconds", "1"));
        try {
            JsonNode job = e2e.submitAsync(impatientApi, account, Map.of("prompt", "too late", "n", 3, "size", SIZE,
                    "steps", 2));
            String jobId = job.get("id").asText();
            long deadlineMillis = e2e.job(account, jobId).spec().deadlineMillis();
            // The condition is the job's own deadline on the wall clock that the worker compares it with.
            Polling.await("deadline of " + jobId, Duration.ofSeconds(30), () -> true,
                    () -> System.currentTimeMillis() > deadlineMillis);

            e2e.kiln().ensureWorkers(1);

            JobRecord record = e2e.awaitTerminal(account, jobId);
            assertThat(record.status()).isEqualTo(JobStatus.EXPIRED);
            assertThat(record.imagesProduced()).isZero();
            assertThat(record.refundedMicros()).isEqualTo(3 * PRICE_MICROS);
            assertThat(e2e.objectExists("outputs/" + jobId + "/0.png")).isFalse();
            assertThat(e2e.balanceMicros(account)).isEqualTo(account.balanceMicros());
            assertThat(e2e.reservedMicros(account)).isZero();
        } finally {
            e2e.kiln().stopApi(impatientApi);
        }
    }
}
