package dev.kiln.worker.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.kiln.common.jobs.JobSpec;
import dev.kiln.common.jobs.JobStatus;
import dev.kiln.common.storage.S3Keys;
import dev.kiln.devstack.DevStack;
import dev.kiln.devstack.DevStackConfig;
import dev.kiln.diffusion.ReferenceData;
import dev.kiln.worker.jobs.KilnFixture;

/**
 * Stops the packaged worker ({@code target/quarkus-app/quarkus-run.jar}, built in {@code package},
 * hence a failsafe test) with SIGTERM while it runs a batch, on the real dev stack: the batch in
 * hand is finished, stored, settled and its offset committed before the process exits.
 */
class GracefulShutdownIT {
    private static final long GRACE_MILLIS = 90_000;
    private static final Path JAR = Path.of("target", "quarkus-app", "quarkus-run.jar");
    private static DevStack stack;
    private static KilnFixture kiln;

    @BeforeAll
    static void startStack() throws Exception {
        assertThat(JAR).as("run `mvn package` first").exists();
        stack = DevStack.start(DevStackConfig.fromSystemProperties());
        kiln = new KilnFixture(stack.settings()::get);
    }

    @AfterAll
    static void stopStack() {
        if (kiln != null) {
            kiln.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void finishesSettlesAndCommitsTheRunningJobWhenStopped() throws Exception {
        Path workDir = Files.createDirectories(Path.of("target", "graceful-shutdown-it"));
        Path log = workDir.resolve("worker.log");
        Process worker = startWorker(workDir, log);
        try {
            String account = kiln.newAccount();
            long now = System.currentTimeMillis();
            // ~10 s on the sd-tiny model with one thread (~175 ms per step for 4 guided images at 128x128):
            // long enough to be in hand when SIGTERM arrives, well inside the grace period.
            JobSpec slow = new JobSpec(JobSpec.SCHEMA_VERSION, KilnFixture.newJobId(), account,
                    JobSpec.MODE_TXT2IMG, "sd-1.5", "a red fox", null, 4, 128, 128, 60, 7.5, null, 1, "pndm",
                    null, now, now + 600_000);
            kiln.submit(slow);
            CompletableFuture<String> done = kiln.whenDone(slow.jobId());
            RecordMetadata record = kiln.publish(slow);
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(50))
                    .until(() -> kiln.job(account, slow.jobId()).status() == JobStatus.RUNNING);

            worker.destroy();

            assertThat(worker.waitFor(GRACE_MILLIS + 30_000, TimeUnit.MILLISECONDS))
                    .as("the worker exits within its grace period").isTrue();
            assertThat(done.get(10, TimeUnit.SECONDS)).isEqualTo("succeeded");
            for (String key : S3Keys.outputs(slow.jobId(), 4)) {
                assertThat(kiln.objectExists(key)).as(key).isTrue();
            }
            assertThat(kiln.settleEntries(account)).isEqualTo(1);
            assertThat(kiln.committedOffset(record)).as("offset committed on the way out").isGreaterThan(record.offset());
            String output = Files.readString(log);
            int stopping = output.indexOf("shutting down:");
            int jobDone = output.indexOf("job " + slow.jobId() + ": 4 images ran");
            assertThat(stopping).as("shutdown began").isNotNegative();
            assertThat(jobDone).as("the running job finished after the stop signal").isGreaterThan(stopping);
        } finally {
            if (worker.isAlive()) {
                worker.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private static Process startWorker(Path workDir, Path log) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (Map.Entry<String, String> e : stack.settings().entrySet()) {
            command.add("-D" + e.getKey() + "=" + e.getValue());
        }
        command.addAll(List.of(
                "-Dquarkus.http.port=0",
                "-Dquarkus.log.console.json.enabled=false",
                "-Dkiln.worker.model-dir=" + ReferenceData.sdTinyModel().toAbsolutePath(),
                "-Dkiln.worker.allow-test-model=true",
                "-Dkiln.worker.intra-op-threads=1",
                "-Dkiln.worker.batching.max-rows=8",
                "-Dkiln.worker.shutdown.grace=" + GRACE_MILLIS + "ms",
                "-jar", JAR.toAbsolutePath().toString()));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }
}
