package dev.kiln.deploy;

import java.util.ArrayList;
import java.util.List;

import dev.kiln.deploy.render.HelmRenderer;
import dev.kiln.deploy.render.KustomizeRenderer;
import dev.kiln.deploy.render.Rendering;
import dev.kiln.deploy.render.RepoPaths;

/**
 * Every deployment flavour the checks run against, rendered once per JVM: the chart with its
 * defaults and with the GPU/autoscaling values, the kustomize base read resource by resource,
 * and, when kubectl is on the PATH, the real kustomize build of the base and the example overlay.
 */
final class Renderings {

    private static List<Rendering> cached;

    private Renderings() {
    }

    static synchronized List<Rendering> all() {
        if (cached == null) {
            HelmRenderer helm = new HelmRenderer(RepoPaths.chart());
            KustomizeRenderer kustomize = new KustomizeRenderer();
            List<Rendering> renderings = new ArrayList<>();
            renderings.add(helm.render("default values", null, false));
            renderings.add(helm.render("ci/gpu-autoscaling-values.yaml", RepoPaths.gpuAutoscalingValues(), true));
            renderings.add(kustomize.resourcesOnly(RepoPaths.kustomizeBase(), "k8s base (resources only)", true));
            if (KustomizeRenderer.kubectl().isPresent()) {
                renderings.add(kustomize.kubectlKustomize(RepoPaths.kustomizeBase(), "k8s base (kubectl kustomize)", true));
                renderings.add(kustomize.kubectlKustomize(RepoPaths.kustomizeExampleOverlay(),
                        "k8s overlays/example (kubectl kustomize)", true));
            }
            cached = List.copyOf(renderings);
        }
        return cached;
    }
}
