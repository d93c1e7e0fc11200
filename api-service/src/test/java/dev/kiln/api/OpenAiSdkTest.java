package dev.kiln.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.UnauthorizedException;
import com.openai.models.images.ImageEditParams;
import com.openai.models.images.ImageGenerateParams;
import com.openai.models.images.ImagesResponse;

import dev.kiln.api.support.Kiln;
import dev.kiln.api.support.TestWorker;
import dev.kiln.common.jobs.JobJson;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.devstack.quarkus.DevStackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/** The official OpenAI Java SDK, pointed at Kiln, generates and edits images end to end. */
@QuarkusTest
@QuarkusTestResource(DevStackTestResource.class)
class OpenAiSdkTest {
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
    void generateReturnsDownloadableUrls() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        ImagesResponse response = client(a).images().generate(ImageGenerateParams.builder()
                .prompt(TestWorker.COMPLETE + " a lighthouse at dusk").model("sd-1.5").n(2)
                .size(ImageGenerateParams.Size.of("256x256")).build());
        assertThat(response.data()).get().asList().hasSize(2);
        String url = response.data().get().get(0).url().orElseThrow();
        HttpResponse<byte[]> image = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(image.statusCode()).isEqualTo(200);
        assertThat(image.body()).isEqualTo(Kiln.png(32, 32));
        assertThat(response._additionalProperties()).containsKeys("id", "seed");
    }

    @Test
    void editSendsTheImageAsImg2ImgAndReturnsBase64() throws Exception {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        byte[] input = Kiln.png(96, 64);
        ImagesResponse response = client(a).images().edit(ImageEditParams.builder()
                .image(input).prompt(TestWorker.COMPLETE + " make it winter").model("sd-1.5")
                .responseFormat(ImageEditParams.ResponseFormat.B64_JSON)
                .size(ImageEditParams.Size.of("512x512")).build());
        byte[] out = Base64.getDecoder().decode(response.data().get().get(0).b64Json().orElseThrow());
        assertThat(out).isEqualTo(Kiln.png(64, 64));
        String id = response._additionalProperties().get("id").asStringOrThrow();
        JobSpec spec = JobJson.specFromJson(TestWorker.get().record(id).value());
        assertThat(spec.isImg2Img()).isTrue();
        assertThat(spec.strength()).isEqualTo(0.75);
        assertThat(Kiln.getObject(spec.inputKey())).isEqualTo(input);
    }

    @Test
    void sdkSeesAuthenticationErrors() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        OpenAIClient wrong = OpenAIOkHttpClient.builder().apiKey("kiln_sk_" + a.id() + "_nope").baseUrl(base.toString())
                .maxRetries(0).build();
        assertThatThrownBy(() -> wrong.images().generate(ImageGenerateParams.builder().prompt("x").build()))
                .isInstanceOf(UnauthorizedException.class);
    }

    @Test
    void sdkListsTheModelCatalog() {
        Kiln.Account a = Kiln.account("payg", "free", 100_000);
        assertThat(client(a).models().list().data()).extracting(m -> m.id()).contains("sd-1.5");
    }

}
