package dev.kiln.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.startsWith;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.images.ImageGenerateParams;
import com.openai.models.images.ImagesResponse;
import com.openai.models.models.Model;

import dev.kiln.api.support.Kiln;
import dev.kiln.api.support.TestWorker;
import dev.kiln.common.jobs.JobJson;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.common.jobs.OutputFormat;
import dev.kiln.devstack.quarkus.DevStackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;

/** OpenAI's model names and request fields, as docs/api.md maps them. */
@QuarkusTest
@QuarkusTestResource(DevStackTestResource.class)
class OpenAiCompatibilityTest {
    private static final String SEED_MODEL = "runwayml/stable-diffusion-v1-5-img2img";

    @TestHTTPResource("/v1")
    URI base;

    private Kiln.Account account;

    @BeforeAll
    static void startWorker() {
        TestWorker.get();
    }

    @BeforeEach
    void fundedAccount() {
        account = Kiln.account("payg", "free", 100_000);
    }

    private ValidatableResponse generate(Map<String, Object> body) {
        return given().header("Authorization", account.bearer()).contentType(ContentType.JSON).body(body)
                .post("/v1/images/generations").then();
    }

    private ValidatableResponse generateAsync(Map<String, Object> body) {
        return given().header("Authorization", account.bearer()).header("Prefer", "respond-async")
                .contentType(ContentType.JSON).body(body).post("/v1/images/generations").then();
    }

    private static Map<String, Object> body(Object... kv) {
        Map<String, Object> m = new HashMap<>(Map.of("prompt", "a lighthouse"));
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static JobSpec queuedSpec(ValidatableResponse accepted) throws Exception {
        String id = accepted.statusCode(202).extract().path("id");
        return JobJson.specFromJson(TestWorker.get().record(id).value());
    }

    @Test
    void seedQuickstartWithTheSeedModelIdReturnsAnImageUrl() {
        generate(Map.of("model", SEED_MODEL, "prompt", TestWorker.COMPLETE + " a cyberpunk cat")).statusCode(200)
                .body("data[0].url", startsWith("http"));
    }

    @Test
    void modelListServesTheSeedIdOwnedByRunwaymlAndTheAliases() {
        OpenAIClient client = OpenAIOkHttpClient.builder().apiKey(account.key()).baseUrl(base.toString())
                .maxRetries(0).build();
        List<Model> models = client.models().list().data();
        assertThat(models).filteredOn(m -> m.id().equals(SEED_MODEL)).singleElement()
                .satisfies(m -> assertThat(m.ownedBy()).isEqualTo("runwayml"));
        assertThat(models).extracting(Model::id)
                .contains("sd-1.5", "dall-e-2", "dall-e-3", "gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5");
        given().header("Authorization", account.bearer()).get("/v1/models/dall-e-3").then().statusCode(200)
                .body("id", equalTo("dall-e-3")).body("alias_of", equalTo(SEED_MODEL));
    }

    @Test
    void aliasesRunTheSeedModel() throws Exception {
        assertThat(queuedSpec(generateAsync(body("model", "dall-e-3"))).model()).isEqualTo(SEED_MODEL);
        assertThat(queuedSpec(generateAsync(body())).model()).as("the default").isEqualTo(SEED_MODEL);
    }

    @Test
    void gptImageNamesDefaultToBase64AndOthersToUrls() {
        generate(body("model", "gpt-image-1", "prompt", TestWorker.COMPLETE + " b64", "size", "64x64")).statusCode(200)
                .body("data[0].b64_json", notNullValue()).body("data[0].url", equalTo(null));
        generate(body("model", "dall-e-2", "prompt", TestWorker.COMPLETE + " url", "size", "64x64")).statusCode(200)
                .body("data[0].url", notNullValue());
    }

    @Test
    void sizeAutoIs512SquareForTextToImage() throws Exception {
        JobSpec spec = queuedSpec(generateAsync(body("size", "auto")));
        assertThat(spec.width()).isEqualTo(512);
        assertThat(spec.height()).isEqualTo(512);
    }

    @Test
    void sizeAutoForAnEditFollowsTheInputWithinTheMaximum() throws Exception {
        String image = Base64.getEncoder().encodeToString(Kiln.png(1200, 900));
        JobSpec spec = queuedSpec(generateAsync(body("image", image, "size", "auto")));
        assertThat(spec.width()).isEqualTo(1024);
        assertThat(spec.height()).isEqualTo(768);
    }

    @Test
    void largerOpenAiSizesAreScaledToTheirAspectAndTheRealSizeIsEchoed() throws Exception {
        JobSpec spec = queuedSpec(generateAsync(body("size", "1536x1024")));
        assertThat(spec.width()).isEqualTo(1024);
        assertThat(spec.height()).isEqualTo(680);
        generate(body("prompt", TestWorker.COMPLETE + " wide", "size", "1792x1024")).statusCode(200)
                .body("size", equalTo("1024x584"));
    }

    @Test
    void responseEchoesSizeOutputFormatQualityAndBackground() {
        generate(body("prompt", TestWorker.COMPLETE + " echo", "size", "64x64", "quality", "high",
                "output_format", "jpeg", "background", "opaque")).statusCode(200)
                .body("size", equalTo("64x64")).body("output_format", equalTo("jpeg"))
                .body("quality", equalTo("high")).body("background", equalTo("opaque"));
    }

    @Test
    void outputFormatAndCompressionAreCarriedInTheJobSpec() throws Exception {
        JobSpec spec = queuedSpec(generateAsync(body("output_format", "jpeg", "output_compression", 80)));
        assertThat(spec.outputFormat()).isEqualTo(OutputFormat.JPEG);
        assertThat(spec.outputCompression()).isEqualTo(80);
    }

    @Test
    void webpOutputIsRefusedNamingTheParamUntilWorkersEncodeIt() {
        generateAsync(body("output_format", "webp")).statusCode(400).body("error.param", equalTo("output_format"))
                .body("error.code", equalTo("unsupported_parameter")).header("x-should-retry", "false");
    }

    @Test
    void outOfRangeCompressionAndUnknownFormatsAreRefused() {
        generateAsync(body("output_compression", 101)).statusCode(400).body("error.param", equalTo("output_compression"));
        generateAsync(body("output_format", "gif")).statusCode(400).body("error.param", equalTo("output_format"));
    }

    @Test
    void transparentBackgroundIsAnUnsupportedParameter() {
        generateAsync(body("background", "transparent")).statusCode(400).body("error.param", equalTo("background"))
                .body("error.code", equalTo("unsupported_parameter"));
    }

    @Test
    void qualityMapsToStepsUnlessStepsAreGiven() throws Exception {
        assertThat(queuedSpec(generateAsync(body("quality", "low"))).steps()).isEqualTo(15);
        assertThat(queuedSpec(generateAsync(body("quality", "hd"))).steps()).isEqualTo(40);
        assertThat(queuedSpec(generateAsync(body("quality", "low", "steps", 22))).steps()).isEqualTo(22);
        generateAsync(body("quality", "ultra")).statusCode(400).body("error.param", equalTo("quality"));
    }

    @Test
    void moderationStyleAndUserAreAcceptedAndIgnored() {
        generateAsync(body("moderation", "low", "style", "vivid", "user", "user-1")).statusCode(202);
    }

    @Test
    void everyAnswerCarriesARequestIdErrorsIncluded() {
        generateAsync(body()).statusCode(202).header("x-request-id", matchesPattern("req_[0-9a-f]{32}"));
        generateAsync(body("n", 0)).statusCode(400).header("x-request-id", matchesPattern("req_[0-9a-f]{32}"));
        given().post("/v1/images/generations").then().statusCode(401).header("x-request-id", notNullValue());
        given().get("/v1/nothing-here").then().statusCode(404).header("x-request-id", notNullValue())
                .header("x-should-retry", "false");
    }

    @Test
    void sdkGeneratesWithTheSeedModelId() {
        OpenAIClient client = OpenAIOkHttpClient.builder().apiKey(account.key()).baseUrl(base.toString())
                .timeout(Duration.ofSeconds(60)).maxRetries(0).build();
        ImagesResponse response = client.images().generate(ImageGenerateParams.builder()
                .prompt(TestWorker.COMPLETE + " a cyberpunk cat").model(SEED_MODEL)
                .size(ImageGenerateParams.Size.AUTO).build());
        assertThat(response.data().orElseThrow().get(0).url()).isPresent();
        assertThat(response.size()).hasValueSatisfying(s -> assertThat(s.asString()).isEqualTo("512x512"));
    }

    // Edit inputs

    private ValidatableResponse editForm(byte[]... images) {
        var request = given().header("Authorization", account.bearer()).header("Prefer", "respond-async")
                .multiPart("prompt", "winter").multiPart("model", "sd-1.5");
        for (byte[] image : images) {
            request = request.multiPart("image[]", "in.png", image, "image/png");
        }
        return request.post("/v1/images/edits").then();
    }

    @Test
    void severalImagesInOneEditAreRefusedNamingImage() {
        editForm(Kiln.png(64, 64), Kiln.png(64, 64)).statusCode(400).body("error.param", equalTo("image"));
        assertThat(account.jobCount()).isZero();
    }

    @Test
    void jsonEditWithADataUrlIsAccepted() throws Exception {
        String dataUrl = "data:image/png;base64," + Base64.getEncoder().encodeToString(Kiln.png(96, 64));
        String id = given().header("Authorization", account.bearer()).header("Prefer", "respond-async")
                .contentType(ContentType.JSON)
                .body(Map.of("prompt", "winter", "images", List.of(Map.of("image_url", dataUrl))))
                .post("/v1/images/edits").then().statusCode(202).extract().path("id");
        JobSpec spec = JobJson.specFromJson(TestWorker.get().record(id).value());
        assertThat(spec.isImg2Img()).isTrue();
        assertThat(Kiln.getObject(spec.inputKey())).isEqualTo(Kiln.png(96, 64));
    }

    @Test
    void jsonEditWithARemoteUrlIsRefusedKilnNeverFetches() {
        given().header("Authorization", account.bearer()).contentType(ContentType.JSON)
                .body(Map.of("prompt", "winter", "images", List.of(Map.of("image_url", "https://example.com/a.png"))))
                .post("/v1/images/edits").then().statusCode(400).body("error.param", equalTo("images"))
                .body("error.code", equalTo("unsupported_image_url"));
        assertThat(account.jobCount()).isZero();
    }

    @Test
    void webpInputsAreDecodedLossyAndLossless() throws Exception {
        for (String name : List.of("input-40x24.webp", "input-40x24-lossless.webp")) {
            byte[] webp = resource("/images/" + name);
            String id = given().header("Authorization", account.bearer()).header("Prefer", "respond-async")
                    .multiPart("prompt", "winter").multiPart("image", name, webp, "image/webp").post("/v1/images/edits")
                    .then().statusCode(202).extract().path("id");
            JobSpec spec = JobJson.specFromJson(TestWorker.get().record(id).value());
            byte[] stored = Kiln.getObject(spec.inputKey());
            assertThat(ImageIO.read(new ByteArrayInputStream(stored)).getWidth()).isEqualTo(40);
        }
    }

    private static byte[] resource(String path) throws IOException {
        try (InputStream in = OpenAiCompatibilityTest.class.getResourceAsStream(path)) {
            return in.readAllBytes();
        }
    }
}
