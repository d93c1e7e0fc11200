package dev.kiln.worker.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.kiln.common.errors.ErrorCodes;
import dev.kiln.common.jobs.JobRecord;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.common.jobs.JobStatus;
import dev.kiln.common.storage.S3Keys;
import dev.kiln.worker.metrics.WorkerMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Redis and S3 outages while a job is in the worker, on the real dev stack: the worker's
 * connections run through {@link TcpLink}s that the test cuts and restores. Each step waits for an
 * observable effect (a retry counted in {@code kiln.worker.retries}), never for time to pass.
 */
@QuarkusTest
// Not restricted: every @QuarkusTest of the module shares this one stack and one application start.
@QuarkusTestResource(LinkedDevStackTestResource.class)
class BackendOutageTest {
    private static final Duration OUTCOME_TIMEOUT = Duration.ofSeconds(90);
    private static KilnFixture kiln;

    @InjectBackendLinks
    BackendLinks links;

    @Inject
    MeterRegistry registry;

    @BeforeAll
    static void connect() throws Exception {
        kiln = new KilnFixture();
    }

    @AfterAll
    static void disconnect() {
        if (kiln != null) {
            kiln.close();
        }
    }

    @AfterEach
    void restoreLinks() {
        links.redis().restore();
        links.s3().restore();
    }

    private double retries(String operation) {
        Counter c = registry.find(WorkerMetrics.RETRIES).tag("operation", operation).counter();
        return c == null ? 0 : c.count();
    }

    private void awaitRetry(String operation, double before) {
        await().atMost(OUTCOME_TIMEOUT).pollInterval(Duration.ofMillis(20)).until(() -> retries(operation) > before);
    }

    @Test
    void completesAJobWhoseUploadHitAnS3OutageOnceS3IsBack() throws Exception {
        String account = kiln.newAccount();
        JobSpec spec = KilnFixture.txt2img(account, KilnFixture.newJobId(), 2, 11);
        kiln.submit(spec);
        CompletableFuture<String> done = kiln.whenDone(spec.jobId());
        double uploadRetries = retries("upload");
        links.s3().cut();

        kiln.publish(spec);
        awaitRetry("upload", uploadRetries);
        links.s3().restore();

        assertThat(done.get(OUTCOME_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("succeeded");
        assertThat(kiln.objectExists(S3Keys.output(spec.jobId(), 0))).isTrue();
        assertThat(kiln.objectExists(S3Keys.output(spec.jobId(), 1))).isTrue();
        assertThat(kiln.balance(account)).isEqualTo(KilnFixture.INITIAL_BALANCE_MICROS - 2 * KilnFixture.PRICE_MICROS);
    }

    @Test
    void failsAndRefundsAJobWhenS3StaysDownPastTheRetryBound() throws Exception {
        String account = kiln.newAccount();
        JobSpec spec = KilnFixture.txt2img(account, KilnFixture.newJobId(), 1, 12);
        kiln.submit(spec);
        CompletableFuture<String> done = kiln.whenDone(spec.jobId());
        links.s3().cut();

        kiln.publish(spec);

        assertThat(done.get(OUTCOME_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("failed");
        JobRecord job = kiln.job(account, spec.jobId());
        assertThat(job.errorCode()).isEqualTo(ErrorCodes.BACKEND_UNAVAILABLE);
        assertThat(kiln.balance(account)).isEqualTo(KilnFixture.INITIAL_BALANCE_MICROS);
        assertThat(kiln.reserved(account)).isZero();
    }

    @Test
    void settlesExactlyOnceAndOnlyThenCommitsWhenRedisWasDownAtSettleTime() throws Exception {
        String account = kiln.newAccount();
        JobSpec spec = KilnFixture.txt2img(account, KilnFixture.newJobId(), 1, 13);
        kiln.submit(spec);
        CompletableFuture<String> done = kiln.whenDone(spec.jobId());
        double uploadRetries = retries("upload");
        double settleRetries = retries("settle");
        // Hold the job between markRunning and settle: S3 down makes its upload retry...
        links.s3().cut();
        RecordMetadata record = kiln.publish(spec);
        awaitRetry("upload", uploadRetries);
        // ...then Redis goes down before S3 comes back, so the settle meets the outage.
        links.redis().cut();
        links.s3().restore();
        awaitRetry("settle", settleRetries);

        assertThat(kiln.job(account, spec.jobId()).status()).isEqualTo(JobStatus.RUNNING);
        assertThat(kiln.committedOffset(record)).isLessThanOrEqualTo(record.offset());

        links.redis().restore();

        assertThat(done.get(OUTCOME_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("succeeded");
        assertThat(kiln.settleEntries(account)).isEqualTo(1);
        assertThat(kiln.balance(account)).isEqualTo(KilnFixture.INITIAL_BALANCE_MICROS - KilnFixture.PRICE_MICROS);
        await().atMost(OUTCOME_TIMEOUT).until(() -> kiln.committedOffset(record) > record.offset());
    }
}
