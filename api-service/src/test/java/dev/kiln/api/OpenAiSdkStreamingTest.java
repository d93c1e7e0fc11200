package dev.kiln.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.SseException;
import com.openai.models.images.ImageEditParams;
import com.openai.models.images.ImageEditStreamEvent;
import com.openai.models.images.ImageGenCompletedEvent;
import com.openai.models.images.ImageGenStreamEvent;
import com.openai.models.images.ImageGenerateParams;

import dev.kiln.api.support.Kiln;
import dev.kiln.api.support.TestWorker;
import dev.kiln.devstack.quarkus.DevStackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/** The official OpenAI Java SDK's image streaming ({@code generateStreaming}, {@code editStreaming}) against Kiln. */
@QuarkusTest
@QuarkusTestResource(DevStackTestResource.class)
class OpenAiSdkStreamingTest {
    @TestHTTPResource("/v1")
    URI base;

    @BeforeAll
    static void startWorker() {
        TestWorker.get();
    }

    private OpenAIClient client(Kiln.Account a) {
        return OpenAIOkHttpClient.builder().apiKey(a.key()).baseUrl(base.toString())
                .timeout(Duration.ofSeconds(60)).maxRetries(0).build();
    }

    @Test
    void generateStreamingYieldsThePartialImagesAskedForThenTheImage() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        List<ImageGenStreamEvent> events;
        try (StreamResponse<ImageGenStreamEvent> stream = client(a).images().generateStreaming(
                ImageGenerateParams.builder().model("gpt-image-1").prompt(TestWorker.COMPLETE + " a lighthouse")
                        .partialImages(2).size(ImageGenerateParams.Size._1024X1024).build())) {
            events = stream.stream().toList();
        }
        assertThat(events).hasSize(3);
        assertThat(events.get(0).asGenerationPartialImage().partialImageIndex()).isZero();
        assertThat(events.get(1).asGenerationPartialImage().partialImageIndex()).isEqualTo(1);
        ImageGenCompletedEvent completed = events.get(2).asGenerationCompleted();
        assertThat(Base64.getDecoder().decode(completed.b64Json())).isEqualTo(Kiln.png(128, 128));
        assertThat(completed.size()).isEqualTo(ImageGenCompletedEvent.Size._1024X1024);
        assertThat(completed.outputFormat()).isEqualTo(ImageGenCompletedEvent.OutputFormat.PNG);
        assertThat(completed.usage().totalTokens()).isZero();
        events.forEach(ImageGenStreamEvent::validate);
    }

    @Test
    void generateStreamingGivesOneCompletedEventPerImage() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        try (StreamResponse<ImageGenStreamEvent> stream = client(a).images().generateStreaming(
                ImageGenerateParams.builder().model("gpt-image-1").prompt(TestWorker.COMPLETE + " three boats").n(3)
                        .build())) {
            assertThat(stream.stream().filter(ImageGenStreamEvent::isGenerationCompleted).count()).isEqualTo(3);
        }
    }

    @Test
    void editStreamingYieldsImageEditEvents() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        List<ImageEditStreamEvent> events;
        try (StreamResponse<ImageEditStreamEvent> stream = client(a).images().editStreaming(ImageEditParams.builder()
                .image(Kiln.png(96, 64)).prompt(TestWorker.COMPLETE + " make it winter").model("gpt-image-1")
                .partialImages(1).build())) {
            events = stream.stream().toList();
        }
        assertThat(events).hasSize(2);
        assertThat(events.get(0).isPartialImage()).isTrue();
        assertThat(events.get(1).isCompleted()).isTrue();
        assertThat(events.get(1).asCompleted().b64Json()).isNotEmpty();
    }

    @Test
    void aJobThatFailsMidStreamRaisesTheSdksStreamError() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        assertThatThrownBy(() -> {
            try (StreamResponse<ImageGenStreamEvent> stream = client(a).images().generateStreaming(
                    ImageGenerateParams.builder().model("gpt-image-1").prompt(TestWorker.FAIL + " doomed").build())) {
                stream.stream().forEach(event -> {
                });
            }
        }).isInstanceOfSatisfying(SseException.class, e -> assertThat(e.code()).contains("worker_crashed"));
    }
}
