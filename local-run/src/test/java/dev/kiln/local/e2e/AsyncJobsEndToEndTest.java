package dev.kiln.local.e2e;

import static dev.kiln.local.e2e.E2eKiln.SIZE;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;

import dev.kiln.devstack.process.Polling;
import dev.kiln.local.admin.LocalAccount;

/** {@code Prefer: respond-async}: 202 with a job and its Location, then polling that Location to the result. */
@Order(4)
@ExtendWith(KilnExtension.class)
class AsyncJobsEndToEndTest {

    private final E2eKiln e2e;

    AsyncJobsEndToEndTest(E2eKiln e2e) {
        this.e2e = e2e;
    }

    @Test
    void asyncSubmissionIsPolledAtItsLocationUntilItSucceeds() {
        e2e.kiln().ensureWorkers(1);
        LocalAccount account = e2e.newAccount();

        JsonNode accepted = e2e.submitAsync(account, Map.of("prompt", "poll me", "n", 2, "size", SIZE, "steps", 2));
        String location = "v1/images/jobs/" + accepted.get("id").asText();

        AtomicReference<JsonNode> last = new AtomicReference<>();
        Polling.await("job at " + location, E2eKiln.JOB_TIMEOUT, () -> true, () -> {
            HttpResponse<String> poll = e2e.get(account, location);
            assertThat(poll.statusCode()).isEqualTo(200);
            last.set(E2eKiln.readJson(poll.body()));
            return !Map.of("queued", 1, "running", 1).containsKey(last.get().get("status").asText());
        });
        JsonNode job = last.get();
        assertThat(job.get("status").asText()).isEqualTo("succeeded");
        assertThat(job.get("result").get("data")).hasSize(2);
        for (JsonNode image : job.get("result").get("data")) {
            assertThat(e2e.download(image.get("url").asText()).statusCode()).isEqualTo(200);
        }
    }
}
