package dev.kiln.worker.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.imageio.ImageIO;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.kiln.common.jobs.JobJson;
import dev.kiln.common.jobs.JobRecord;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.common.jobs.JobStatus;
import dev.kiln.common.redis.RedisKeys;
import dev.kiln.common.storage.S3Keys;
import dev.kiln.worker.metrics.WorkerMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The worker service end to end on real Kafka, Redis and S3 (dev stack) with the sd-tiny test
 * model on CPU: a job published on kiln.jobs.v1 is run, its PNGs stored, its wallet settled.
 */
@QuarkusTest
// Not restricted: every @QuarkusTest of the module shares this one stack and one application start.
@QuarkusTestResource(LinkedDevStackTestResource.class)
class JobProcessingTest {
    private static final long DONE_TIMEOUT_SECONDS = 120;
    private static KilnFixture kiln;

    @Inject
    MeterRegistry registry;

    @TestHTTPResource("/q/health/ready")
    URI readiness;

    @TestHTTPResource("/q/metrics")
    URI metrics;

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

    private String runToTheEnd(JobSpec spec) throws Exception {
        CompletableFuture<String> done = kiln.whenDone(spec.jobId());
        kiln.publish(spec);
        return done.get(DONE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    private double jobsFinished(String outcome) {
        Counter c = registry.find(WorkerMetrics.JOBS).tag("outcome", outcome).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void runsATextToImageJobStoresItsPngsAndChargesEachImage() throws Exception {
        String account = kiln.newAccount();
        JobSpec spec = KilnFixture.txt2img(account, KilnFixture.newJobId(), 2, 42);
        kiln.submit(spec);

        assertThat(runToTheEnd(spec)).isEqualTo("succeeded");

        JobRecord job = kiln.job(account, spec.jobId());
        assertThat(job.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(job.resultKeys()).containsExactlyElementsOf(S3Keys.outputs(spec.jobId(), 2));
        for (String key : job.resultKeys()) {
            BufferedImage png = ImageIO.read(new ByteArrayInputStream(kiln.object(key)));
            assertThat(png).as(key).isNotNull();
            assertThat(png.getWidth()).isEqualTo(32);
            assertThat(png.getHeight()).isEqualTo(32);
        }
        assertThat(kiln.balance(account)).isEqualTo(KilnFixture.INITIAL_BALANCE_MICROS - 2 * KilnFixture.PRICE_MICROS);
        assertThat(kiln.reserved(account)).isZero();
    }

    @Test
    void imageIOfAJobUsesSeedPlusI() throws Exception {
        String account = kiln.newAccount();
        JobSpec pair = KilnFixture.txt2img(account, KilnFixture.newJobId(), 2, 100);
        JobSpec single = KilnFixture.txt2img(account, KilnFixture.newJobId(), 1, 101);
        kiln.submit(pair);
        kiln.submit(single);

        assertThat(runToTheEnd(pair)).isEqualTo("succeeded");
        assertThat(runToTheEnd(single)).isEqualTo("succeeded");

        assertThat(kiln.object(S3Keys.output(pair.jobId(), 1)))
                .isEqualTo(kiln.object(S3Keys.output(single.jobId(), 0)));
    }

    @Test
    void runsAnImageToImageJobFromItsInputInS3() throws Exception {
        String account = kiln.newAccount();
        String jobId = KilnFixture.newJobId();
        kiln.putObject(S3Keys.input(jobId), gradientPng(40, 24));
        JobSpec spec = KilnFixture.img2img(account, jobId, 1, S3Keys.input(jobId));
        kiln.submit(spec);

        assertThat(runToTheEnd(spec)).isEqualTo("succeeded");

        assertThat(kiln.objectExists(S3Keys.output(jobId, 0))).isTrue();
        assertThat(kiln.balance(account)).isEqualTo(KilnFixture.INITIAL_BALANCE_MICROS - KilnFixture.PRICE_MICROS);
    }

    @Test
    void jobsSentTogetherShareUNetCallsWhileRunning() throws Exception {
        DistributionSummary jobsPerCall = registry.find(WorkerMetrics.BATCH_JOBS).summary();
        long callsBefore = jobsPerCall.count();
        String account = kiln.newAccount();
        List<JobSpec> specs = new ArrayList<>();
        List<CompletableFuture<String>> done = new ArrayList<>();
        // Different schedulers and step counts: they could never share a static batch. 300 steps keep each job
        // running long enough (hundreds of ms) for the others to arrive and join it.
        List<String> schedulers = List.of("euler_a", "ddim", "dpmpp_2m", "lms");
        for (int i = 0; i < 4; i++) {
            JobSpec base = KilnFixture.txt2img(account, KilnFixture.newJobId(), 1, i);
            JobSpec spec = new JobSpec(base.schemaVersion(), base.jobId(), account, base.mode(), base.model(),
                    base.prompt(), null, 1, 32, 32, 300 + i, 7.5, null, i, schedulers.get(i), null,
                    base.createdAtMillis(), base.deadlineMillis());
            kiln.submit(spec);
            specs.add(spec);
            done.add(kiln.whenDone(spec.jobId()));
        }
        for (JobSpec spec : specs) {
            kiln.publish(spec);
        }
        for (CompletableFuture<String> d : done) {
            assertThat(d.get(DONE_TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo("succeeded");
        }

        int soloCalls = 300 + 301 + 302 + 303;
        assertThat(jobsPerCall.count() - callsBefore).isLessThan(soloCalls);
        assertThat(jobsPerCall.max()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void sendsAMalformedRecordToTheDeadLetterTopic() throws Exception {
        String key = "malformed-" + KilnFixture.newJobId();

        kiln.publish(key, "{\"v\":1,\"job_id\":");

        Optional<ConsumerRecord<String, String>> dead = kiln.deadLetter(key, Duration.ofSeconds(60));
        assertThat(dead).isPresent();
        assertThat(dead.get().value()).isEqualTo("{\"v\":1,\"job_id\":");
    }

    @Test
    void skipsARedeliveredJobThatIsAlreadyTerminalWithoutChargingTwice() throws Exception {
        String account = kiln.newAccount();
        JobSpec spec = KilnFixture.txt2img(account, KilnFixture.newJobId(), 1, 5);
        kiln.submit(spec);
        assertThat(runToTheEnd(spec)).isEqualTo("succeeded");
        long attempts = kiln.job(account, spec.jobId()).attempts();
        double skippedBefore = jobsFinished("skipped");

        kiln.publish(spec);

        await().atMost(Duration.ofSeconds(DONE_TIMEOUT_SECONDS)).until(() -> jobsFinished("skipped") > skippedBefore);
        assertThat(kiln.balance(account)).isEqualTo(KilnFixture.INITIAL_BALANCE_MICROS - KilnFixture.PRICE_MICROS);
        assertThat(kiln.settleEntries(account)).isEqualTo(1);
        assertThat(kiln.job(account, spec.jobId()).attempts()).isEqualTo(attempts);
    }

    @Test
    void expiresAJobPastItsDeadlineAndRefundsItWithoutRunningIt() throws Exception {
        String account = kiln.newAccount();
        JobSpec fresh = KilnFixture.txt2img(account, KilnFixture.newJobId(), 2, 9);
        JobSpec late = new JobSpec(fresh.schemaVersion(), fresh.jobId(), account, fresh.mode(), fresh.model(),
                fresh.prompt(), null, 2, 32, 32, 4, 7.5, null, 9, "pndm", null,
                System.currentTimeMillis() - 60_000, System.currentTimeMillis() - 1_000);
        kiln.submit(late);

        assertThat(runToTheEnd(late)).isEqualTo("expired");

        assertThat(kiln.balance(account)).isEqualTo(KilnFixture.INITIAL_BALANCE_MICROS);
        assertThat(kiln.reserved(account)).isZero();
        assertThat(kiln.objectExists(S3Keys.output(late.jobId(), 0))).isFalse();
    }

    @Test
    void doesNotRunAJobCanceledWhileQueued() throws Exception {
        String account = kiln.newAccount();
        JobSpec spec = KilnFixture.txt2img(account, KilnFixture.newJobId(), 1, 3);
        kiln.submit(spec);
        kiln.completer.cancel(account, spec.jobId()).toCompletableFuture().get(5, TimeUnit.SECONDS);
        double skippedBefore = jobsFinished("skipped");

        kiln.publish(spec);

        await().atMost(Duration.ofSeconds(DONE_TIMEOUT_SECONDS)).until(() -> jobsFinished("skipped") > skippedBefore);
        JobRecord job = kiln.job(account, spec.jobId());
        assertThat(job.status()).isEqualTo(JobStatus.CANCELED);
        assertThat(job.attempts()).isZero();
        assertThat(kiln.objectExists(S3Keys.output(spec.jobId(), 0))).isFalse();
        assertThat(kiln.balance(account)).isEqualTo(KilnFixture.INITIAL_BALANCE_MICROS);
    }

    @Test
    void failsAndRefundsAnImageToImageJobWhoseInputIsMissing() throws Exception {
        String account = kiln.newAccount();
        String jobId = KilnFixture.newJobId();
        JobSpec spec = KilnFixture.img2img(account, jobId, 2, S3Keys.input(jobId));
        kiln.submit(spec);

        assertThat(runToTheEnd(spec)).isEqualTo("failed");

        JobRecord job = kiln.job(account, jobId);
        assertThat(job.errorCode()).isEqualTo("invalid_image");
        assertThat(job.errorMessage()).contains("input image");
        assertThat(kiln.balance(account)).isEqualTo(KilnFixture.INITIAL_BALANCE_MICROS);
    }

    @Test
    void failsRefundsAndDeadLettersAJobStartedTooOften() throws Exception {
        String account = kiln.newAccount();
        JobSpec spec = KilnFixture.txt2img(account, KilnFixture.newJobId(), 1, 4);
        kiln.submit(spec);
        // Three earlier workers took it and died (max-attempts defaults to 3).
        kiln.redis.hset(RedisKeys.job(account, spec.jobId()), "attempts", "3");

        assertThat(runToTheEnd(spec)).isEqualTo("failed");

        assertThat(kiln.balance(account)).isEqualTo(KilnFixture.INITIAL_BALANCE_MICROS);
        assertThat(kiln.objectExists(S3Keys.output(spec.jobId(), 0))).isFalse();
        Optional<ConsumerRecord<String, String>> dead = kiln.deadLetter(spec.jobId(), Duration.ofSeconds(60));
        assertThat(dead).isPresent();
        assertThat(JobJson.specFromJson(dead.get().value()).jobId()).isEqualTo(spec.jobId());
    }

    @Test
    void failsAndRefundsAWellFormedJobThatCannotRun() throws Exception {
        String account = kiln.newAccount();
        JobSpec valid = KilnFixture.txt2img(account, KilnFixture.newJobId(), 1, 1);
        JobSpec unknownScheduler = new JobSpec(valid.schemaVersion(), valid.jobId(), account, valid.mode(),
                valid.model(), valid.prompt(), null, 1, 32, 32, 4, 7.5, null, 1, "no-such-scheduler", null,
                valid.createdAtMillis(), valid.deadlineMillis());
        kiln.submit(unknownScheduler);

        assertThat(runToTheEnd(unknownScheduler)).isEqualTo("failed");

        assertThat(kiln.job(account, valid.jobId()).errorMessage()).contains("no-such-scheduler");
        assertThat(kiln.balance(account)).isEqualTo(KilnFixture.INITIAL_BALANCE_MICROS);
    }

    @Test
    void becomesReadyOnceTheModelIsLoadedAndWarm() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest get = HttpRequest.newBuilder(readiness).timeout(Duration.ofSeconds(5)).build();

        await().atMost(Duration.ofSeconds(DONE_TIMEOUT_SECONDS))
                .until(() -> http.send(get, HttpResponse.BodyHandlers.ofString()).statusCode() == 200);

        String body = http.send(get, HttpResponse.BodyHandlers.ofString()).body();
        assertThat(body).contains("\"model\"").contains("test model: images are noise");
    }

    @Test
    void exposesTheOperationalMetricsForPrometheusAfterAJob() throws Exception {
        String account = kiln.newAccount();
        JobSpec spec = KilnFixture.txt2img(account, KilnFixture.newJobId(), 1, 21);
        kiln.submit(spec);
        assertThat(runToTheEnd(spec)).isEqualTo("succeeded");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        String body = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString()).body();

        assertThat(body).contains(
                "kiln_worker_batch_jobs_bucket", "kiln_worker_batch_images_bucket",
                "kiln_worker_queue_wait_seconds_bucket", "kiln_worker_start_delay_seconds_bucket",
                "kiln_worker_queue_jobs", "kiln_worker_unet_rows_bucket", "kiln_worker_unet_occupancy_bucket",
                "kiln_worker_step_seconds_bucket", "kiln_worker_prompt_cache_hit_ratio",
                "kiln_worker_images_total",
                "kiln_worker_failures_total{cause=\"storage\"",
                "kiln_worker_jobs_total{outcome=\"succeeded\"",
                "kiln_worker_retries_total{operation=\"settle\"",
                "kafka_consumer_fetch_manager_records_lag_max");
        for (String stage : List.of("mark_running", "admit", "inference", "vae_decode", "encode", "upload",
                "settle")) {
            assertThat(body).as(stage).contains("kiln_worker_stage_seconds_bucket{stage=\"" + stage + "\"");
        }
    }

    @Test
    void expiresAndRefundsARunningBatchWhoseDeadlinePassesBetweenSteps() throws Exception {
        String account = kiln.newAccount();
        long now = System.currentTimeMillis();
        // 4 images x 999 steps at 128x128 run for minutes on the sd-tiny model (1 CPU thread); the deadline
        // passes a few seconds in, well after the batch started (a full batch is released at once).
        JobSpec slow = new JobSpec(JobSpec.SCHEMA_VERSION, KilnFixture.newJobId(), account, JobSpec.MODE_TXT2IMG,
                "sd-1.5", "a red fox", null, 4, 128, 128, 999, 7.5, null, 30, "pndm", null, now, now + 6_000);
        kiln.submit(slow);

        assertThat(runToTheEnd(slow)).isEqualTo("expired");

        JobRecord job = kiln.job(account, slow.jobId());
        assertThat(job.attempts()).as("the job was started before it expired").isEqualTo(1);
        assertThat(job.errorCode()).isEqualTo("job_expired");
        assertThat(kiln.objectExists(S3Keys.output(slow.jobId(), 0))).isFalse();
        assertThat(kiln.balance(account)).isEqualTo(KilnFixture.INITIAL_BALANCE_MICROS);
        assertThat(kiln.reserved(account)).isZero();
    }

    private static byte[] gradientPng(int width, int height) throws Exception {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, (x * 255 / width) << 16 | (y * 255 / height) << 8 | 128);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }
}
