package dev.kiln.deploy.crd;

import java.util.List;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.ObjectMeta;

/** Prometheus Operator {@code monitoring.coreos.com/v1 ServiceMonitor}, the fields Kiln uses, parsed strictly. */
public record ServiceMonitor(String apiVersion, String kind, ObjectMeta metadata, Spec spec) {

    public record Spec(LabelSelector selector, NamespaceSelector namespaceSelector, List<Endpoint> endpoints, String jobLabel) {
    }

    public record NamespaceSelector(Boolean any, List<String> matchNames) {
    }

    public record Endpoint(String port, String path, String scheme, String interval, String scrapeTimeout) {
    }
}
