package dev.kiln.devstack.redis;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Optional;

/**
 * Locates a {@code redis-server}: {@code -Dkiln.devstack.redis-server=PATH}, else the PATH, else the binary
 * shipped inside {@code com.github.codemonstur:embedded-redis} (Redis 6.2), extracted into the work dir.
 */
public final class RedisBinary {

    private RedisBinary() {
    }

    public static Path locate(Path extractDir) {
        String explicit = System.getProperty("kiln.devstack.redis-server");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        return fromPath().orElseGet(() -> extractEmbedded(extractDir));
    }

    static Optional<Path> fromPath() {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isBlank()) {
                continue;
            }
            Path candidate = Path.of(dir, "redis-server");
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    static Path extractEmbedded(Path extractDir) {
        String resource = embeddedResourceName(System.getProperty("os.name"), System.getProperty("os.arch"));
        Path target = extractDir.resolve("redis-server");
        try (InputStream in = RedisBinary.class.getResourceAsStream("/" + resource)) {
            if (in == null) {
                throw new IllegalStateException("no redis-server on the PATH and " + resource
                        + " not found in embedded-redis on the classpath; install redis-server");
            }
            Files.createDirectories(extractDir);
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!target.toFile().setExecutable(true, true)) {
            throw new IllegalStateException("cannot make " + target + " executable");
        }
        return target;
    }

    /** The binary's name inside the embedded-redis 1.4.3 jar for this platform. */
    static String embeddedResourceName(String osName, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT);
        String arch = osArch.toLowerCase(Locale.ROOT);
        boolean arm = arch.equals("aarch64") || arch.equals("arm64");
        boolean x64 = arch.equals("amd64") || arch.equals("x86_64");
        if (os.contains("linux") && x64) {
            return "redis-server-6.2.6-v5-linux-amd64";
        }
        if (os.contains("linux") && arm) {
            return "redis-server-6.2.7-linux-arm64";
        }
        if (os.contains("mac") && x64) {
            return "redis-server-6.2.6-v5-darwin-amd64";
        }
        if (os.contains("mac") && arm) {
            return "redis-server-6.2.6-v5-darwin-arm64";
        }
        throw new IllegalStateException("no embedded redis-server for " + osName + "/" + osArch + "; install redis-server");
    }
}
