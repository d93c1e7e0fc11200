package dev.kiln.devstack.process;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Finds jars the dev stack runs in child JVMs (Kafka's broker, s3proxy) in the local Maven repository.
 *
 * <p>
 * The build records their paths with the repository root replaced by a token, and the repository
 * that built this library. At run time the first candidate root that holds every jar wins:
 * {@code -Dkiln.devstack.m2-repo}, {@code -Dmaven.repo.local}, the build's repository, {@code ~/.m2/repository}.
 */
public final class LocalRepository {

    static final String TOKEN = "@M2_REPO@";
    private static final String BUILD_PROPERTIES = "/dev/kiln/devstack/build.properties";

    private LocalRepository() {
    }

    /** Values filtered in at build time (versions, the build's local repository). */
    public static Properties buildProperties() {
        Properties properties = new Properties();
        try (InputStream in = LocalRepository.class.getResourceAsStream(BUILD_PROPERTIES)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + BUILD_PROPERTIES + ": is kiln-dev-stack built?");
            }
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return properties;
    }

    /** Candidate repository roots, most specific first. */
    public static List<Path> candidateRoots() {
        Set<Path> roots = new LinkedHashSet<>();
        addIfSet(roots, System.getProperty("kiln.devstack.m2-repo"));
        addIfSet(roots, System.getProperty("maven.repo.local"));
        addIfSet(roots, buildProperties().getProperty("local.repository"));
        roots.add(Path.of(System.getProperty("user.home"), ".m2", "repository"));
        return new ArrayList<>(roots);
    }

    /** Reads token-relative jar paths from the listed classpath resources and resolves them in one root. */
    public static List<Path> resolveClasspath(String... resources) {
        List<String> relative = new ArrayList<>();
        for (String resource : resources) {
            relative.addAll(readEntries(resource));
        }
        List<String> distinct = relative.stream().distinct().collect(Collectors.toList());
        List<Path> roots = candidateRoots();
        for (Path root : roots) {
            List<Path> resolved = distinct.stream().map(entry -> resolve(root, entry)).collect(Collectors.toList());
            if (resolved.stream().allMatch(Files::isRegularFile)) {
                return resolved;
            }
        }
        List<String> missing = distinct.stream()
                .filter(entry -> roots.stream().noneMatch(root -> Files.isRegularFile(resolve(root, entry))))
                .limit(5)
                .collect(Collectors.toList());
        throw new IllegalStateException("jars for a dev-stack child JVM are missing from the local Maven repository "
                + roots + ", e.g. " + missing + ". Build the module first: mvn -pl dev-stack -am verify");
    }

    /** One artifact in the first candidate root that holds it. */
    public static Path findArtifact(String groupId, String artifactId, String version, String classifier) {
        String file = artifactId + "-" + version + (classifier == null ? "" : "-" + classifier) + ".jar";
        String relative = groupId.replace('.', '/') + "/" + artifactId + "/" + version + "/" + file;
        for (Path root : candidateRoots()) {
            Path candidate = root.resolve(relative);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private static Path resolve(Path root, String entry) {
        return Path.of(entry.replace(TOKEN, root.toString()));
    }

    private static List<String> readEntries(String resource) {
        try (InputStream in = LocalRepository.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource + ": is kiln-dev-stack built?");
            }
            String text = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))
                    .lines().collect(Collectors.joining(File.pathSeparator));
            List<String> entries = new ArrayList<>();
            for (String entry : text.split(File.pathSeparator)) {
                if (!entry.isBlank()) {
                    entries.add(entry.trim());
                }
            }
            return entries;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void addIfSet(Set<Path> roots, String value) {
        if (value != null && !value.isBlank() && !value.startsWith("${")) {
            roots.add(Path.of(value));
        }
    }
}
