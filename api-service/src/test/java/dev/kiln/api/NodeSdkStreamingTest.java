package dev.kiln.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.kiln.api.support.Kiln;
import dev.kiln.api.support.NodeSdk;
import dev.kiln.api.support.TestWorker;
import dev.kiln.devstack.quarkus.DevStackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The official OpenAI Node SDK ({@code openai} from npm) iterating Kiln's image streams with
 * {@code for await (const event of stream)}, through {@code src/test/node/stream-images.mjs}.
 */
@QuarkusTest
@QuarkusTestResource(DevStackTestResource.class)
class NodeSdkStreamingTest {
    @TestHTTPResource("/v1")
    URI base;

    @BeforeAll
    static void startWorker() {
        TestWorker.get();
    }

    /** Per test, not per class: Surefire reports a class aborted in {@code @BeforeAll} as no tests, not as skipped. */
    @BeforeEach
    void installTheSdk() {
        NodeSdk.get();
    }

    private NodeSdk.Streamed stream(Kiln.Account a, String mode, String... args) {
        List<String> all = new ArrayList<>(List.of(mode, "--base-url", base.toString()));
        all.addAll(List.of(args));
        return NodeSdk.get().stream(a.key(), all);
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> types(NodeSdk.Streamed run) {
        return run.events().stream().map(e -> e.get("type").asText()).toList();
    }

    @Test
    void generateStreamYieldsThePartialImagesAskedForThenTheImage() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        NodeSdk.Streamed run = stream(a, "generate", "--prompt", TestWorker.COMPLETE + " a lighthouse",
                "--partial-images", "2", "--n", "1", "--size", "256x256");
        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(types(run)).containsExactly("image_generation.partial_image", "image_generation.partial_image",
                "image_generation.completed");
        List<JsonNode> events = run.events();
        String preview = sha256(Kiln.png(8, 8));
        for (int i = 0; i < 2; i++) {
            assertThat(events.get(i).get("partial_image_index").asInt()).isEqualTo(i);
            assertThat(events.get(i).get("png_width").asInt()).isEqualTo(8);
            assertThat(events.get(i).get("sha256").asText()).isEqualTo(preview);
        }
        JsonNode completed = events.get(2);
        assertThat(completed.get("png_width").asInt()).isEqualTo(32);
        assertThat(completed.get("sha256").asText()).isEqualTo(sha256(Kiln.png(32, 32)));
        assertThat(completed.get("size").asText()).isEqualTo("256x256");
        assertThat(completed.get("output_format").asText()).isEqualTo("png");
        assertThat(completed.get("usage").get("total_tokens").asInt()).isZero();
        assertThat(run.counts().get("image_generation.partial_image").asInt()).isEqualTo(2);
        assertThat(run.counts().get("image_generation.completed").asInt()).isEqualTo(1);
    }

    @Test
    void editStreamYieldsImageEditEvents() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        String image = NodeSdk.get().file("edit-input.png", Kiln.png(64, 64)).toString();
        NodeSdk.Streamed run = stream(a, "edit", "--image", image, "--prompt", TestWorker.COMPLETE + " make it winter",
                "--partial-images", "1", "--size", "256x256");
        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(types(run)).containsExactly("image_edit.partial_image", "image_edit.completed");
        assertThat(run.events().get(0).get("sha256").asText()).isEqualTo(sha256(Kiln.png(8, 8)));
        assertThat(run.events().get(1).get("sha256").asText()).isEqualTo(sha256(Kiln.png(32, 32)));
    }

    @Test
    void aJobThatFailsMidStreamIsThrownByTheSdkWhileIterating() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        NodeSdk.Streamed run = stream(a, "generate", "--prompt", TestWorker.FAIL + " doomed", "--partial-images", "1");
        assertThat(run.exitCode()).as("%s", run).isEqualTo(1);
        assertThat(run.events()).isEmpty();
        JsonNode error = run.error().orElseThrow();
        assertThat(error.get("api_error").asBoolean()).as("%s", run).isTrue();
        assertThat(error.get("phase").asText()).isEqualTo("stream");
        assertThat(error.get("type").asText()).isEqualTo("server_error");
        assertThat(error.get("code").asText()).isEqualTo("worker_crashed");
    }
}
