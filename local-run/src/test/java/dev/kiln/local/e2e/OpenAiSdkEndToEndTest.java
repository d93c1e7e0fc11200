package dev.kiln.local.e2e;

import static dev.kiln.local.e2e.E2eKiln.PRICE_MICROS;
import static dev.kiln.local.e2e.E2eKiln.SIZE;
import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.Base64;
import java.util.List;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.models.images.Image;
import com.openai.models.images.ImageEditParams;
import com.openai.models.images.ImageGenerateParams;
import com.openai.models.images.ImagesResponse;

import dev.kiln.common.jobs.JobRecord;
import dev.kiln.common.jobs.JobStatus;
import dev.kiln.local.SampleImage;
import dev.kiln.local.admin.LocalAccount;

/** Synchronous calls through the official OpenAI Java SDK, answered by a real worker on the tiny model. */
@Order(3)
@ExtendWith(KilnExtension.class)
class OpenAiSdkEndToEndTest {

    private final E2eKiln e2e;

    OpenAiSdkEndToEndTest(E2eKiln e2e) {
        this.e2e = e2e;
    }

    @BeforeEach
    void oneWorker() {
        e2e.kiln().ensureWorkers(1);
    }

    @Test
    void sdkGenerateReturnsAUrlOfAPngOfTheRequestedSize() throws IOException {
        LocalAccount account = e2e.newAccount();
        OpenAIClient client = e2e.openAi(account);

        ImagesResponse response = client.images().generate(ImageGenerateParams.builder()
                .model("sd-1.5").prompt("a lighthouse at dusk").size(ImageGenerateParams.Size.of(SIZE))
                .putAdditionalBodyProperty("steps", JsonValue.from(2))
                .build());

        List<Image> data = response.data().orElseThrow();
        assertThat(data).hasSize(1);
        HttpResponse<byte[]> png = e2e.download(data.get(0).url().orElseThrow());
        assertThat(png.statusCode()).isEqualTo(200);
        assertThat(dimensions(png.body())).containsExactly(64, 64);
    }

    @Test
    void sdkEditRunsImageToImageOnTheUploadedPicture() throws IOException {
        LocalAccount account = e2e.newAccount();
        OpenAIClient client = e2e.openAi(account);

        ImagesResponse response = client.images().edit(ImageEditParams.builder()
                .image(SampleImage.png(64, 64)).prompt("the same scene in winter").model("sd-1.5")
                .size(ImageEditParams.Size.of("256x256"))
                .putAdditionalBodyProperty("strength", JsonValue.from("0.5"))
                .putAdditionalBodyProperty("steps", JsonValue.from("4"))
                .build());

        String jobId = response._additionalProperties().get("id").asStringOrThrow();
        JobRecord record = e2e.job(account, jobId);
        assertThat(record.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(record.spec().isImg2Img()).isTrue();
        assertThat(record.spec().strength()).isEqualTo(0.5);
        assertThat(e2e.objectExists(record.spec().inputKey())).isTrue();
        HttpResponse<byte[]> png = e2e.download(response.data().orElseThrow().get(0).url().orElseThrow());
        assertThat(dimensions(png.body())).containsExactly(256, 256);
    }

    @Test
    void nThreeReturnsThreeDistinctImagesAndChargesThree() {
        LocalAccount account = e2e.newAccount();

        ImagesResponse response = e2e.openAi(account).images().generate(ImageGenerateParams.builder()
                .model("sd-1.5").prompt("three foxes").n(3).size(ImageGenerateParams.Size.of(SIZE))
                .putAdditionalBodyProperty("steps", JsonValue.from(2))
                .build());

        List<Image> data = response.data().orElseThrow();
        assertThat(data).hasSize(3);
        assertThat(data.stream().map(image -> e2e.download(image.url().orElseThrow()).body())
                .map(Base64.getEncoder()::encodeToString).distinct()).hasSize(3);
        assertThat(e2e.balanceMicros(account)).isEqualTo(account.balanceMicros() - 3 * PRICE_MICROS);
        assertThat(e2e.reservedMicros(account)).isZero();
    }

    @Test
    void b64JsonResponseCarriesThePngBytesInline() throws IOException {
        LocalAccount account = e2e.newAccount();

        ImagesResponse response = e2e.openAi(account).images().generate(ImageGenerateParams.builder()
                .model("sd-1.5").prompt("an owl").size(ImageGenerateParams.Size.of(SIZE))
                .responseFormat(ImageGenerateParams.ResponseFormat.B64_JSON)
                .putAdditionalBodyProperty("steps", JsonValue.from(2))
                .build());

        Image image = response.data().orElseThrow().get(0);
        assertThat(image.url()).isEmpty();
        byte[] png = Base64.getDecoder().decode(image.b64Json().orElseThrow());
        assertThat(dimensions(png)).containsExactly(64, 64);
        String jobId = response._additionalProperties().get("id").asStringOrThrow();
        assertThat(png).isEqualTo(e2e.object(e2e.job(account, jobId).resultKeys().get(0)));
    }

    private static int[] dimensions(byte[] png) throws IOException {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        assertThat(image).as("a decodable PNG").isNotNull();
        return new int[] { image.getWidth(), image.getHeight() };
    }
}
