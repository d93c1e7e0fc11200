package dev.kiln.deploy.render;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Locations in the checkout the deployment checks read. */
public final class RepoPaths {

    private RepoPaths() {
    }

    /** Repository root: system property {@code kiln.repo.root} (set by the pom), else the parent of the working dir. */
    public static Path root() {
        Path root = Paths.get(System.getProperty("kiln.repo.root", "..")).toAbsolutePath().normalize();
        if (!Files.isRegularFile(root.resolve("docs/contracts.md"))) {
            throw new IllegalStateException("not the Kiln repository root (no docs/contracts.md): " + root);
        }
        return root;
    }

    public static Path chart() {
        return root().resolve("helm/kiln");
    }

    public static Path gpuAutoscalingValues() {
        return chart().resolve("ci/gpu-autoscaling-values.yaml");
    }

    public static Path kustomizeBase() {
        return root().resolve("deploy/k8s/base");
    }

    public static Path kustomizeExampleOverlay() {
        return root().resolve("deploy/k8s/overlays/example");
    }
}
