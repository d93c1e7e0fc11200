package dev.kiln.deploy.render;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * Two ways to turn deploy/k8s into objects:
 * <ul>
 * <li>{@link #resourcesOnly}: reads kustomization.yaml's {@code resources} list and parses those
 * files as they are. Needs no binary, but checks resources only: patches, images,
 * namespace and label transformers are NOT applied.</li>
 * <li>{@link #kubectlKustomize}: the real kustomize build embedded in kubectl, when kubectl is on the PATH.</li>
 * </ul>
 */
public final class KustomizeRenderer {

    private static final long KUBECTL_TIMEOUT_SECONDS = 60;

    private final ManifestParser parser = new ManifestParser();
    private final ObjectMapper yaml = new ObjectMapper(new YAMLFactory());

    public Rendering resourcesOnly(Path kustomizationDir, String name, boolean expectsKeda) {
        List<Object> objects = new ArrayList<>();
        for (Path resource : resourceFiles(kustomizationDir)) {
            objects.addAll(parser.parseAll(read(resource), resource.toString()));
        }
        return new Rendering(name, objects, expectsKeda);
    }

    public Rendering kubectlKustomize(Path kustomizationDir, String name, boolean expectsKeda) {
        String kubectl = kubectl().orElseThrow(() -> new IllegalStateException("kubectl is not on the PATH"));
        try {
            Path out = Files.createTempFile("kustomize", ".yaml");
            Path err = Files.createTempFile("kustomize", ".err");
            try {
                Process process = new ProcessBuilder(kubectl, "kustomize", kustomizationDir.toString())
                        .redirectOutput(out.toFile())
                        .redirectError(err.toFile())
                        .start();
                if (!process.waitFor(KUBECTL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new IllegalStateException("kubectl kustomize timed out after " + KUBECTL_TIMEOUT_SECONDS + " s");
                }
                if (process.exitValue() != 0) {
                    throw new IllegalStateException("kubectl kustomize " + kustomizationDir + " failed: " + read(err));
                }
                return new Rendering(name, parser.parseAll(read(out), "kubectl kustomize " + kustomizationDir), expectsKeda);
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The kubectl binary on the PATH, if any. */
    public static Optional<String> kubectl() {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir, "kubectl");
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate.toString());
            }
        }
        return Optional.empty();
    }

    /** Files listed under {@code resources}, following nested kustomization directories. */
    public List<Path> resourceFiles(Path kustomizationDir) {
        JsonNode kustomization;
        try {
            kustomization = yaml.readTree(kustomizationDir.resolve("kustomization.yaml").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Path> files = new ArrayList<>();
        for (JsonNode entry : kustomization.path("resources")) {
            Path resource = kustomizationDir.resolve(entry.asText()).normalize();
            if (Files.isDirectory(resource)) {
                files.addAll(resourceFiles(resource));
            } else if (Files.isRegularFile(resource)) {
                files.add(resource);
            } else {
                throw new IllegalStateException(
                        kustomizationDir + "/kustomization.yaml lists a missing resource: " + entry.asText());
            }
        }
        return files;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
