package dev.kiln.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The batcher is plain Java so it can be tested and benchmarked alone: it may not import Kafka, Redis,
 * Quarkus/CDI/MicroProfile, nor the worker service packages that wire it. (The diffusion library's rule is
 * enforced by its own build: the enforcer bans those dependencies from its POM.)
 */
class PackageDependenciesTest {

    private static final Pattern FORBIDDEN = Pattern.compile(
            "^import\\s+(static\\s+)?(org\\.apache\\.kafka|io\\.lettuce|io\\.quarkus|io\\.smallrye|jakarta|"
                    + "org\\.eclipse\\.microprofile|io\\.minio|io\\.micrometer|dev\\.kiln\\.common"
                    + "|dev\\.kiln\\.worker\\.(jobs|inference|health|metrics|storage|config))\\.",
            Pattern.MULTILINE);

    @Test
    void batcherImportsNoServiceInfrastructure() throws IOException {
        String pkg = "batching";
        Path root = Path.of("src/main/java/dev/kiln/worker", pkg);
        assertThat(root).isDirectory();
        try (Stream<Path> files = Files.walk(root)) {
            List<String> offenders = files.filter(f -> f.toString().endsWith(".java"))
                    .filter(PackageDependenciesTest::hasForbiddenImport)
                    .map(Path::toString)
                    .toList();
            assertThat(offenders).as("files in %s importing service infrastructure", pkg).isEmpty();
        }
    }

    private static boolean hasForbiddenImport(Path file) {
        try {
            return FORBIDDEN.matcher(Files.readString(file)).find();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
