package dev.kiln.deploy.render;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.kiln.deploy.crd.ScaledObject;
import dev.kiln.deploy.crd.ServiceMonitor;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;

/**
 * Turns multi-document YAML into typed Kubernetes objects and refuses anything it cannot type
 * exactly: an unknown kind/apiVersion, an unknown field, a duplicate key.
 *
 * <p>
 * Jackson's FAIL_ON_UNKNOWN_PROPERTIES alone is not enough for fabric8 models: they collect
 * unknown fields into {@code additionalProperties} via {@code @JsonAnySetter}. So after binding,
 * the whole object graph is walked and any non-empty {@code additionalProperties} is an error.
 */
public final class ManifestParser {

    private static final Map<String, Class<?>> TYPES = Map.of(
            "v1/Namespace", Namespace.class,
            "v1/ConfigMap", ConfigMap.class,
            "v1/Service", Service.class,
            "apps/v1/Deployment", Deployment.class,
            "autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler.class,
            "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class,
            "networking.k8s.io/v1/Ingress", Ingress.class,
            "networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class,
            "keda.sh/v1alpha1/ScaledObject", ScaledObject.class,
            "monitoring.coreos.com/v1/ServiceMonitor", ServiceMonitor.class);

    private final ObjectMapper yaml;

    public ManifestParser() {
        YAMLFactory factory = YAMLFactory.builder().build();
        factory.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        this.yaml = new ObjectMapper(factory)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
    }

    /** Parses every non-empty document of {@code text}; {@code origin} names the source in errors. */
    public List<Object> parseAll(String text, String origin) {
        List<Object> objects = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = yaml.readerFor(JsonNode.class).readValues(text)) {
            int index = 0;
            while (docs.hasNextValue()) {
                JsonNode doc = docs.nextValue();
                index++;
                if (doc == null || doc.isNull() || doc.isMissingNode() || doc.isEmpty()) {
                    continue; // helm emits comment-only documents for disabled templates
                }
                objects.add(parseOne(doc, origin + " document " + index));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("YAML in " + origin + " does not parse: " + e.getMessage(), e);
        }
        return objects;
    }

    private Object parseOne(JsonNode doc, String where) throws IOException {
        String key = doc.path("apiVersion").asText() + "/" + doc.path("kind").asText();
        Class<?> type = TYPES.get(key);
        if (type == null) {
            throw new IllegalArgumentException(where + ": no typed model for " + key + " (add one, do not skip it)");
        }
        Object typed;
        try {
            typed = yaml.treeToValue(doc, type);
        } catch (IOException e) {
            throw new IllegalArgumentException(where + " (" + key + "): " + e.getMessage(), e);
        }
        List<String> unknown = new ArrayList<>();
        collectUnknownFields(typed, key, unknown);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(where + ": fields unknown to the Kubernetes model: " + unknown);
        }
        return typed;
    }

    private static void collectUnknownFields(Object node, String path, List<String> sink) {
        if (node == null || node instanceof String || node instanceof Number || node instanceof Boolean
                || node instanceof Enum<?>) {
            return;
        }
        if (node instanceof Map<?, ?> map) {
            map.forEach((k, v) -> collectUnknownFields(v, path + "." + k, sink));
            return;
        }
        if (node instanceof Collection<?> list) {
            int i = 0;
            for (Object item : list) {
                collectUnknownFields(item, path + "[" + i++ + "]", sink);
            }
            return;
        }
        Class<?> type = node.getClass();
        if (type.isRecord()) {
            for (RecordComponent c : type.getRecordComponents()) {
                collectUnknownFields(invoke(c.getAccessor(), node), path + "." + c.getName(), sink);
            }
            return;
        }
        if (!type.getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method m : type.getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers())
                    || m.getDeclaringClass() == Object.class || !m.getName().startsWith("get")) {
                continue;
            }
            if (m.getName().equals("getAdditionalProperties")) {
                Map<?, ?> extra = (Map<?, ?>) invoke(m, node);
                if (extra != null && !extra.isEmpty()) {
                    sink.add(path + " " + extra.keySet());
                }
            } else if (walkable(m.getReturnType())) {
                collectUnknownFields(invoke(m, node), path + "." + decapitalize(m.getName().substring(3)), sink);
            }
        }
    }

    private static boolean walkable(Class<?> type) {
        return type.getName().startsWith("io.fabric8.") || List.class.isAssignableFrom(type)
                || Map.class.isAssignableFrom(type);
    }

    private static Object invoke(Method m, Object target) {
        try {
            return m.invoke(target);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read " + m, e);
        }
    }

    private static String decapitalize(String s) {
        return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
