package dev.kiln.worker.pipeline;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the shared reference fixtures; tests that need them are skipped, loudly, without. */
public final class Fixtures {

    private Fixtures() {
    }

    public static Path dir(String sub) {
        String root = System.getProperty("kiln.fixtures.dir");
        Assumptions.assumeTrue(root != null,
                "SKIPPED: system property kiln.fixtures.dir is not set (surefire sets it to ../shared/fixtures)");
        Path dir = Path.of(root).resolve(sub);
        Assumptions.assumeTrue(Files.isDirectory(dir), "SKIPPED: fixture folder " + dir + " is absent");
        return dir;
    }
}
