package dev.kiln.local.e2e;

import static dev.kiln.local.e2e.E2eKiln.SIZE;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.kiln.common.jobs.JobStatus;
import dev.kiln.local.admin.LocalAccount;
import dev.kiln.local.process.QuarkusApp;

/** Compatible jobs waiting together are run in shared UNet batches by the worker's dynamic batcher. */
@Order(2)
@ExtendWith(KilnExtension.class)
class BatchingEndToEndTest {

    private static final int JOBS = 4;
    private static final int STEPS = 3;

    private final E2eKiln e2e;

    BatchingEndToEndTest(E2eKiln e2e) {
        this.e2e = e2e;
    }

    @Test
    void jobsQueuedTogetherShareUnetCalls() {
        // Queue the jobs while nobody consumes, so the worker that starts finds all of them at once.
        e2e.kiln().ensureWorkers(0);
        LocalAccount account = e2e.newAccount();
        List<String> jobIds = new ArrayList<>();
        for (int i = 0; i < JOBS; i++) {
            jobIds.add(e2e.submitAsync(account, Map.of("prompt", "batch me " + i, "size", SIZE, "steps", STEPS,
                    "scheduler", "euler", "guidance_scale", 7.5)).get("id").asText());
        }
        e2e.kiln().ensureWorkers(1);
        // A fresh process: its call meters count only these jobs (the warm-up run is not a job's call).
        QuarkusApp worker = e2e.kiln().workers().get(0);

        for (String jobId : jobIds) {
            assertThat(e2e.awaitTerminal(account, jobId).status()).isEqualTo(JobStatus.SUCCEEDED);
        }

        double calls = E2eKiln.metric(worker, "kiln_worker_batch_jobs_count", "");
        double mostJobsInOneCall = E2eKiln.metric(worker, "kiln_worker_batch_jobs_max", "");
        // Run alone, every job would take one call per step.
        assertThat(calls).isGreaterThanOrEqualTo(STEPS).isLessThan(JOBS * STEPS);
        assertThat(mostJobsInOneCall).isGreaterThan(1);
    }
}
