package dev.kiln.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import dev.kiln.deploy.crd.ScaledObject;
import dev.kiln.deploy.render.KustomizeRenderer;
import dev.kiln.deploy.render.Rendering;
import dev.kiln.deploy.render.RepoPaths;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;

/** deploy/k8s specifics: nothing left out of the base, and the example overlay's patches land. */
class KustomizeTest {

    private final KustomizeRenderer kustomize = new KustomizeRenderer();

    @Test
    void baseKustomizationListsEveryManifestInTheDirectory() throws IOException {
        List<Path> listed = kustomize.resourceFiles(RepoPaths.kustomizeBase());
        try (Stream<Path> files = Files.list(RepoPaths.kustomizeBase())) {
            List<Path> manifests = files
                    .filter(f -> f.toString().endsWith(".yaml") && !f.getFileName().toString().equals("kustomization.yaml"))
                    .toList();
            assertThat(listed).containsExactlyInAnyOrderElementsOf(manifests);
        }
    }

    @Test
    void exampleOverlayMovesEverythingIntoItsNamespaceAndPinsWorkersToItsGpuPool() {
        Rendering overlay = overlayOrSkip();

        assertThat(overlay.objects()).allSatisfy(o -> {
            if (o instanceof HasMetadata k && !k.getKind().equals("Namespace")) {
                assertThat(k.getMetadata().getNamespace()).isEqualTo("kiln-prod");
            }
        });
        Deployment worker = overlay.deployment(Rendering.WORKER);
        assertThat(worker.getSpec().getTemplate().getSpec().getNodeSelector()).containsEntry("kiln.dev/pool", "sd15-gpu");
        assertThat(worker.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
                .isEqualTo("ghcr.io/kiln/gpu-worker:0.1.0-cuda12");
    }

    @Test
    void exampleOverlayRaisesTheWorkerCeilingTogetherWithThePartitionCount() {
        ScaledObject scaledObject = overlayOrSkip().scaledObjects().get(0);

        assertThat(scaledObject.spec().maxReplicaCount()).isEqualTo(16);
        assertThat(scaledObject.metadata().getAnnotations()).containsEntry("kiln.dev/jobs-topic-partitions", "16");
    }

    private Rendering overlayOrSkip() {
        Assumptions.assumeTrue(KustomizeRenderer.kubectl().isPresent(),
                "kubectl is not on the PATH: overlay patches are not checked (only base resources are)");
        return kustomize.kubectlKustomize(RepoPaths.kustomizeExampleOverlay(), "overlay", true);
    }
}
