package dev.kiln.local.e2e;

import static dev.kiln.local.e2e.E2eKiln.PRICE_MICROS;
import static dev.kiln.local.e2e.E2eKiln.SIZE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.WebElement;

import com.fasterxml.jackson.databind.JsonNode;

import dev.kiln.common.jobs.JobRecord;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.common.jobs.JobStatus;
import dev.kiln.local.SampleImage;
import dev.kiln.local.admin.LocalAccount;

/**
 * The playground page in a real headless Chromium against the real local stack: a user pastes a key,
 * generates from a prompt and from an uploaded picture, cancels, sees the API's errors, and copies a snippet
 * that works. Skipped loudly where the chromium packages are missing.
 */
@Order(7)
@ExtendWith(KilnExtension.class)
class PlaygroundBrowserTest {

    private static final Duration JOB_TIMEOUT = E2eKiln.JOB_TIMEOUT;
    /** Where {@code -Dkiln.playground.screenshot=docs/playground.png} writes the README's picture. */
    private static final String SCREENSHOT = System.getProperty("kiln.playground.screenshot", "");

    private final E2eKiln e2e;
    private Chromium chromium;

    PlaygroundBrowserTest(E2eKiln e2e) {
        this.e2e = e2e;
    }

    @BeforeAll
    static void chromiumIsInstalled() {
        Chromium.assumeInstalled();
    }

    @BeforeEach
    void freshBrowser() {
        chromium = Chromium.start(1280, 1400);
    }

    @AfterEach
    void closeBrowser() {
        chromium.close();
    }

    private PlaygroundPage open(LocalAccount account) {
        PlaygroundPage page = PlaygroundPage.open(chromium.driver(), e2e.kiln().playgroundUrl()).enterKey(account.apiKey());
        assertThat(page.awaitModels()).contains("sd-1.5");
        return page;
    }

    @Test
    void promptBecomesAnImageAndTheAccountShowsItsCost() {
        e2e.kiln().ensureWorkers(1);
        LocalAccount account = e2e.newAccount();
        PlaygroundPage page = open(account);
        page.awaitBalance(dollars(account.balanceMicros()));

        page.prompt("a lighthouse at dusk").size(SIZE).steps(2).generate();

        List<WebElement> images = page.awaitResultImages(1, JOB_TIMEOUT);
        assertThat(page.naturalWidth(images.get(0))).isEqualTo(64);
        assertThat(page.progress()).startsWith("succeeded");
        JobRecord record = e2e.job(account, page.latestJobId());
        assertThat(record.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(record.spec().isImg2Img()).isFalse();
        assertThat(images.get(0).getAttribute("data-seed")).isEqualTo(Long.toString(record.spec().seed()));
        page.awaitBalance(dollars(account.balanceMicros() - PRICE_MICROS) + " available");
        page.awaitUsage("Today: 1 image, " + dollars(PRICE_MICROS) + " (1 job)");
    }

    @Test
    void uploadedPictureIsTransformedImageToImage(@TempDir Path dir) throws IOException {
        e2e.kiln().ensureWorkers(1);
        LocalAccount account = e2e.newAccount();
        byte[] png = SampleImage.png(64, 64);
        Path input = Files.write(dir.resolve("holiday.png"), png);
        PlaygroundPage page = open(account);

        page.prompt("the same scene in winter").inputImage(input).size(SIZE).steps(4).generate();

        page.awaitResultImages(1, JOB_TIMEOUT);
        JobSpec spec = e2e.job(account, page.latestJobId()).spec();
        assertThat(spec.isImg2Img()).isTrue();
        assertThat(spec.strength()).isEqualTo(0.75);
        assertThat(e2e.object(spec.inputKey())).isEqualTo(png);
    }

    @Test
    void twoImagesOfOneRequestAppearWithConsecutiveSeeds() throws IOException {
        e2e.kiln().ensureWorkers(1);
        LocalAccount account = e2e.newAccount();
        PlaygroundPage page = open(account);
        boolean forReadme = !SCREENSHOT.isEmpty();

        page.prompt("a lighthouse at dusk, oil painting").size(forReadme ? "256x256" : SIZE).steps(4).n(2)
                .fixedSeed(1234).generate();

        List<WebElement> images = page.awaitResultImages(2, JOB_TIMEOUT);
        assertThat(images).extracting(image -> image.getAttribute("data-seed")).containsExactly("1234", "1235");
        assertThat(e2e.job(account, page.latestJobId()).imagesProduced()).isEqualTo(2);
        if (forReadme) {
            page.awaitUsage("Today: 2 images");
            page.screenshot(Path.of(SCREENSHOT));
        }
    }

    @Test
    void theImageIsSeenFormingThroughPreviewsBeforeItArrives() {
        // The job waits in the queue until the page follows its feed, so every preview is published to a reader.
        e2e.kiln().ensureWorkers(0);
        LocalAccount account = e2e.newAccount();
        PlaygroundPage page = open(account);
        page.prompt("a lighthouse taking shape").size(SIZE).steps(8).generate()
                .awaitStatus("queued", Duration.ofSeconds(20)).awaitLiveFeed();

        e2e.kiln().ensureWorkers(1);

        page.awaitResultImages(1, JOB_TIMEOUT);
        assertThat(page.previewsShown()).as("previews of the running denoise").isEqualTo(2);
        assertThat(e2e.job(account, page.latestJobId()).spec().partialImageCount()).isEqualTo(2);
    }

    @Test
    void cancelingAQueuedJobRefundsIt() {
        e2e.kiln().ensureWorkers(0);
        LocalAccount account = e2e.newAccount();
        PlaygroundPage page = open(account);

        page.prompt("never runs").size(SIZE).steps(2).generate().awaitStatus("queued", Duration.ofSeconds(20));
        page.cancel().awaitStatus("canceled", Duration.ofSeconds(20));

        assertThat(page.resultImages()).isEmpty();
        assertThat(page.error()).isEmpty();
        JsonNode ledger = e2e.ledger(account);
        String jobId = ledger.get("data").valueStream().filter(e -> e.path("type").asText().equals("reserve"))
                .findFirst().orElseThrow().path("job").asText();
        assertThat(e2e.job(account, jobId).status()).isEqualTo(JobStatus.CANCELED);
        assertThat(e2e.balanceMicros(account)).isEqualTo(account.balanceMicros());
    }

    @Test
    void badKeyShowsTheApisAuthenticationError() {
        PlaygroundPage page = PlaygroundPage.open(chromium.driver(), e2e.kiln().playgroundUrl())
                .enterKey("kiln_sk_nobody_0123456789abcdef0123456789abcdef");

        page.generate();

        assertThat(page.awaitError()).contains("401 authentication_error").contains("Incorrect API key provided.")
                .contains("code: invalid_api_key");
    }

    @Test
    void emptyWalletShowsThe402WithTopUpAdviceAndChargesNothing() {
        e2e.kiln().ensureWorkers(1);
        LocalAccount account = e2e.newUnfundedAccount();
        PlaygroundPage page = open(account);
        page.awaitBalance("$0.00 available");

        page.prompt("no money").size(SIZE).steps(2).generate();

        assertThat(page.awaitError()).contains("402 insufficient_credits").contains("top up");
        assertThat(page.resultImages()).isEmpty();
        assertThat(e2e.ledger(account).get("data")).isEmpty();
    }

    @Test
    void curlSnippetIsTheExactRequestAndWorks() throws Exception {
        e2e.kiln().ensureWorkers(1);
        LocalAccount account = e2e.newAccount();
        PlaygroundPage page = open(account);
        page.prompt("it's a \"quoted\" lighthouse").size(SIZE).steps(3).generate();
        page.awaitResultImages(1, JOB_TIMEOUT);
        JobSpec shown = e2e.job(account, page.latestJobId()).spec();
        String curl = page.snippet("curl");

        HttpResponse<String> response = HttpClient.newHttpClient().send(
                CurlCommand.toRequest(curl, Map.of("KILN_API_KEY", account.apiKey())).timeout(JOB_TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = E2eKiln.readJson(response.body());
        assertThat(body.get("data")).hasSize(1);
        JobSpec replayed = e2e.job(account, body.get("id").asText()).spec();
        assertThat(replayed).usingRecursiveComparison()
                .comparingOnlyFields("mode", "model", "prompt", "negativePrompt", "n", "width", "height", "steps",
                        "guidanceScale", "strength", "seed", "scheduler")
                .isEqualTo(shown);
        for (String kind : List.of("curl", "python", "node")) {
            String snippet = page.snippet(kind);
            assertThat(snippet).as(kind).contains("KILN_API_KEY").doesNotContain(account.apiKey())
                    .contains(Long.toString(shown.seed())).contains(e2e.kiln().openAiBaseUrl().toString());
        }
    }

    @Test
    void imageToImageCurlSnippetRunsAsIsInAShell(@TempDir Path dir) throws Exception {
        Path curl = Path.of("/usr/bin/curl");
        Assumptions.assumeTrue(Files.isExecutable(curl) && Files.isExecutable(Path.of("/bin/bash")),
                "SKIPPED: running the multipart curl snippet needs /usr/bin/curl and /bin/bash");
        e2e.kiln().ensureWorkers(1);
        LocalAccount account = e2e.newAccount();
        Path input = Files.write(dir.resolve("my holiday's.png"), SampleImage.png(64, 64));
        PlaygroundPage page = open(account);
        page.prompt("@winter; type=text/plain").inputImage(input).size(SIZE).steps(2).generate();
        page.awaitResultImages(1, JOB_TIMEOUT);
        JobSpec shown = e2e.job(account, page.latestJobId()).spec();

        ProcessBuilder shell = new ProcessBuilder("/bin/bash", "-c", page.snippet("curl")).directory(dir.toFile())
                .redirectErrorStream(true);
        shell.environment().put("KILN_API_KEY", account.apiKey());
        Process process = shell.start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(JOB_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();

        assertThat(process.exitValue()).as(output).isZero();
        JsonNode body = E2eKiln.readJson(output);
        assertThat(body.get("data")).as(output).hasSize(1);
        JobSpec replayed = e2e.job(account, body.get("id").asText()).spec();
        assertThat(replayed).usingRecursiveComparison()
                .comparingOnlyFields("mode", "model", "prompt", "n", "width", "height", "steps", "guidanceScale",
                        "strength", "seed", "scheduler")
                .isEqualTo(shown);
        assertThat(e2e.object(replayed.inputKey())).isEqualTo(e2e.object(shown.inputKey()));
    }

    @Test
    void everyControlIsLabelledAndTheKeyboardReachesGenerateInReadingOrder() {
        PlaygroundPage page = PlaygroundPage.open(chromium.driver(), e2e.kiln().playgroundUrl());

        assertThat(page.unlabelledControls()).isEmpty();
        assertThat(page.tabOrderFromKeyTo("generate")).containsExactly("api-key", "model", "prompt",
                "negative-prompt", "image-input", "strength", "size", "n", "steps", "guidance", "scheduler",
                "seed-random", "generate");
    }

    @Test
    void fitsAPhoneWidthScreenWithoutSidewaysScrolling() {
        chromium.driver().manage().window().setSize(new Dimension(390, 844));
        PlaygroundPage page = PlaygroundPage.open(chromium.driver(), e2e.kiln().playgroundUrl());

        assertThat(page.horizontalOverflowPixels()).isZero();
        assertThat(page.generateButtonWidthPixels()).isPositive().isLessThanOrEqualTo(390);
    }

    /** What the page prints for micro-dollars: at least two decimals, no trailing zeros beyond them. */
    private static String dollars(long micros) {
        BigDecimal value = BigDecimal.valueOf(micros, 6).stripTrailingZeros();
        return "$" + (value.scale() < 2 ? value.setScale(2) : value).toPlainString();
    }
}
