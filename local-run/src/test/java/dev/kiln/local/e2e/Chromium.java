package dev.kiln.local.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * A headless Chromium from the machine's packages ({@code apt-get install chromium chromium-driver}), driven
 * through the chromedriver beside it. Both paths are given to Selenium explicitly, so Selenium Manager never
 * downloads a browser or a driver. Each instance has a fresh profile directory, deleted on close.
 */
final class Chromium implements AutoCloseable {

    static final Path BROWSER = Path.of(System.getProperty("kiln.e2e.chromium", "/usr/bin/chromium"));
    static final Path DRIVER = Path.of(System.getProperty("kiln.e2e.chromedriver", "/usr/bin/chromedriver"));

    private final ChromeDriverService service;
    private final ChromeDriver driver;
    private final Path profileDir;

    private Chromium(int width, int height) {
        try {
            profileDir = Files.createTempDirectory("kiln-chromium-profile-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(BROWSER.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + profileDir, "--window-size=" + width + "," + height);
        try {
            driver = new ChromeDriver(service, options);
        } catch (RuntimeException e) {
            service.stop();
            deleteProfile();
            throw e;
        }
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30)).scriptTimeout(Duration.ofSeconds(30));
    }

    /**
     * Skips the calling test class, loudly, when the packages are not installed: printed as a banner and
     * reported by JUnit as skipped with the reason, never passed.
     */
    static void assumeInstalled() {
        boolean installed = Files.isExecutable(BROWSER) && Files.isExecutable(DRIVER);
        if (!installed) {
            String message = "BROWSER TESTS SKIPPED: " + BROWSER + " and/or " + DRIVER + " are missing. Install them "
                    + "with `apt-get install -y chromium chromium-driver` (.ci/run does when it can), or point "
                    + "-Dkiln.e2e.chromium / -Dkiln.e2e.chromedriver at them.";
            String bar = "!".repeat(100);
            System.err.println("\n" + bar + "\n!!! " + message + "\n" + bar + "\n");
            Assumptions.assumeTrue(false, message);
        }
    }

    static Chromium start(int width, int height) {
        return new Chromium(width, height);
    }

    ChromeDriver driver() {
        return driver;
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            service.stop();
            deleteProfile();
        }
    }

    private void deleteProfile() {
        try (Stream<Path> paths = Files.walk(profileDir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            // A leftover temp profile is harmless; the browser may still be releasing a file.
        }
    }
}
