package dev.kiln.deploy.render;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import dev.kiln.deploy.crd.ScaledObject;
import dev.kiln.deploy.crd.ServiceMonitor;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;

/**
 * One fully rendered deployment (a helm values profile or a kustomization), already parsed into
 * typed objects. {@code expectsKeda} says whether this profile is meant to autoscale workers.
 */
public record Rendering(String name, List<Object> objects, boolean expectsKeda) {

    public static final String COMPONENT_LABEL = "app.kubernetes.io/component";
    public static final String API = "api";
    public static final String WORKER = "gpu-worker";

    @Override
    public String toString() {
        return name; // parameterised test display name
    }

    public <T> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    public List<Deployment> deployments() {
        return all(Deployment.class);
    }

    /** The single Deployment of a component ({@link #API} or {@link #WORKER}). */
    public Deployment deployment(String component) {
        List<Deployment> matches = deployments().stream()
                .filter(d -> component.equals(labels(d).get(COMPONENT_LABEL)))
                .toList();
        if (matches.size() != 1) {
            throw new AssertionError(name + ": expected one " + component + " Deployment, found " + matches.size());
        }
        return matches.get(0);
    }

    /** The application container (not init containers) of a component's pod template. */
    public Container appContainer(String component) {
        List<Container> containers = deployment(component).getSpec().getTemplate().getSpec().getContainers();
        if (containers.size() != 1) {
            throw new AssertionError(
                    name + ": " + component + " pod should run exactly one container, has " + containers.size());
        }
        return containers.get(0);
    }

    public Optional<ConfigMap> configMap(String configMapName) {
        return all(ConfigMap.class).stream()
                .filter(c -> c.getMetadata().getName().equals(configMapName))
                .findFirst();
    }

    public List<Service> services() {
        return all(Service.class);
    }

    public List<PodDisruptionBudget> pdbs() {
        return all(PodDisruptionBudget.class);
    }

    public List<HorizontalPodAutoscaler> hpas() {
        return all(HorizontalPodAutoscaler.class);
    }

    public List<ScaledObject> scaledObjects() {
        return all(ScaledObject.class);
    }

    public List<NetworkPolicy> networkPolicies() {
        return all(NetworkPolicy.class);
    }

    public List<ServiceMonitor> serviceMonitors() {
        return all(ServiceMonitor.class);
    }

    public static Map<String, String> labels(HasMetadata object) {
        return Objects.requireNonNullElse(object.getMetadata().getLabels(), Map.of());
    }
}
