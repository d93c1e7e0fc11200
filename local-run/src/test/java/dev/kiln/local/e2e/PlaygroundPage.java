package dev.kiln.local.e2e;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;

/** The playground as a user sees it, through its {@code data-testid} hooks. */
final class PlaygroundPage {

    private static final Duration UI_TIMEOUT = Duration.ofSeconds(20);

    private final WebDriver driver;

    private PlaygroundPage(WebDriver driver) {
        this.driver = driver;
    }

    static PlaygroundPage open(WebDriver driver, URI playgroundUrl) {
        driver.get(playgroundUrl.toString());
        PlaygroundPage page = new PlaygroundPage(driver);
        page.await("the page's modules to load", d -> !d.findElements(By.cssSelector("body[data-ready]")).isEmpty());
        return page;
    }

    /** Types the key and leaves the field, as a user pasting it would. */
    PlaygroundPage enterKey(String key) {
        WebElement field = byTestId("api-key");
        field.clear();
        field.sendKeys(key, Keys.TAB);
        return this;
    }

    /** Waits for the model list that {@code GET /v1/models} answered; read in one script, as it is replaced whole. */
    List<String> awaitModels() {
        await("the model list", d -> !modelIds().isEmpty() && !modelIds().get(0).isEmpty());
        return modelIds();
    }

    @SuppressWarnings("unchecked")
    private List<String> modelIds() {
        return (List<String>) script("return [...document.querySelector('[data-testid=model]').options]"
                + ".map(o => o.value)");
    }

    PlaygroundPage prompt(String text) {
        return type("prompt", text);
    }

    PlaygroundPage size(String size) {
        return type("size", size);
    }

    PlaygroundPage steps(int steps) {
        return type("steps", Integer.toString(steps));
    }

    PlaygroundPage n(int n) {
        return type("n", Integer.toString(n));
    }

    PlaygroundPage fixedSeed(long seed) {
        WebElement random = byTestId("seed-random");
        if (random.isSelected()) {
            random.click();
        }
        return type("seed", Long.toString(seed));
    }

    PlaygroundPage inputImage(Path file) {
        byTestId("image-input").sendKeys(file.toAbsolutePath().toString());
        await("the input preview", d -> driver.findElement(By.id("mode")).getText().contains("image-to-image"));
        return this;
    }

    PlaygroundPage generate() {
        byTestId("generate").click();
        return this;
    }

    PlaygroundPage cancel() {
        byTestId("cancel").click();
        return this;
    }

    String progress() {
        return byTestId("progress").getText();
    }

    /** Waits until the page reads the running job's live event feed (previews and steps). */
    PlaygroundPage awaitLiveFeed() {
        await("the job's live feed", d -> "open".equals(byTestId("progress").getAttribute("data-feed")));
        return this;
    }

    /** How many previews of the forming image the page has shown for the latest job. */
    int previewsShown() {
        String shown = driver.findElement(By.id("progress-preview")).getAttribute("data-shown");
        return shown == null || shown.isEmpty() ? 0 : Integer.parseInt(shown);
    }

    /** Waits until the progress line starts with {@code status} (queued, running, succeeded, canceled...). */
    PlaygroundPage awaitStatus(String status, Duration timeout) {
        new WebDriverWait(driver, timeout).withMessage(() -> "progress '" + status + "', last: '" + progress()
                + "', error: '" + error() + "'")
                .until(d -> progress().startsWith(status));
        return this;
    }

    /** Waits for {@code count} result images, each decoded by the browser; returns them. */
    List<WebElement> awaitResultImages(int count, Duration timeout) {
        new WebDriverWait(driver, timeout).withMessage(() -> count + " result images; progress: '" + progress()
                + "', error: '" + error() + "'")
                .until(d -> resultImages().size() == count && resultImages().stream().allMatch(this::decoded));
        return resultImages();
    }

    List<WebElement> resultImages() {
        return driver.findElements(By.cssSelector("[data-testid=result-image]"));
    }

    long naturalWidth(WebElement image) {
        return ((Number) ((JavascriptExecutor) driver).executeScript("return arguments[0].naturalWidth", image))
                .longValue();
    }

    /** The job id of the newest gallery entry. */
    String latestJobId() {
        return driver.findElement(By.cssSelector("[data-testid=job]")).getAttribute("data-job-id");
    }

    /** The newest entry's snippet ({@code curl}, {@code python}, {@code node}) as its text. */
    String snippet(String kind) {
        WebElement details = driver.findElement(By.cssSelector("[data-testid=job] details"));
        if (details.getAttribute("open") == null) {
            details.findElement(By.tagName("summary")).click();
        }
        return (String) ((JavascriptExecutor) driver).executeScript("return arguments[0].textContent",
                driver.findElement(By.cssSelector("[data-testid=job] [data-testid=snippet-" + kind + "]")));
    }

    String error() {
        WebElement error = byTestId("error");
        return error.isDisplayed() ? error.getText() : "";
    }

    String awaitError() {
        await("an error message", d -> !error().isEmpty());
        return error();
    }

    String awaitBalance(String expectedPart) {
        await("balance '" + expectedPart + "'", d -> byTestId("balance").getText().contains(expectedPart));
        return byTestId("balance").getText();
    }

    String awaitUsage(String expectedPart) {
        await("usage '" + expectedPart + "'", d -> byTestId("usage").getText().contains(expectedPart));
        return byTestId("usage").getText();
    }

    /** data-testid of every form control that has neither a label nor an aria-label. */
    @SuppressWarnings("unchecked")
    List<String> unlabelledControls() {
        return (List<String>) script("return [...document.querySelectorAll('input, select, textarea')]"
                + ".filter(c => c.labels.length === 0 && !c.getAttribute('aria-label'))"
                + ".map(c => c.dataset.testid || c.id)");
    }

    /** Presses Tab from the key field until {@code testId} has focus; the data-testid of each stop on the way. */
    List<String> tabOrderFromKeyTo(String testId) {
        byTestId("api-key").click();
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            WebElement focused = driver.switchTo().activeElement();
            String id = focused.getAttribute("data-testid");
            if (id != null) {
                order.add(id);
            }
            if (testId.equals(id)) {
                return order;
            }
            // Through Actions: sendKeys on a file input would be taken as a file to upload.
            new Actions(driver).sendKeys(Keys.TAB).perform();
        }
        throw new AssertionError("Tab never reached " + testId + "; stops: " + order);
    }

    long horizontalOverflowPixels() {
        return ((Number) script("return Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"))
                .longValue();
    }

    long generateButtonWidthPixels() {
        return byTestId("generate").getRect().getWidth();
    }

    /** The whole page: the window is first made as tall as the document. */
    void screenshot(Path file) throws IOException {
        long height = ((Number) script("return document.documentElement.scrollHeight")).longValue();
        driver.manage().window().setSize(new Dimension(driver.manage().window().getSize().getWidth(),
                (int) height + 120));
        script("window.scrollTo(0, 0)");
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }

    private Object script(String js, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(js, args);
    }

    private boolean decoded(WebElement image) {
        return Boolean.TRUE.equals(((JavascriptExecutor) driver)
                .executeScript("return arguments[0].complete && arguments[0].naturalWidth > 0", image));
    }

    private PlaygroundPage type(String testId, String text) {
        WebElement field = byTestId(testId);
        field.clear();
        field.sendKeys(text);
        return this;
    }

    private WebElement byTestId(String testId) {
        return driver.findElement(By.cssSelector("[data-testid=" + testId + "]"));
    }

    private void await(String what, Function<WebDriver, Boolean> condition) {
        new WebDriverWait(driver, UI_TIMEOUT).withMessage(() -> what + "; error shown: '" + error() + "'")
                .until(condition::apply);
    }
}
