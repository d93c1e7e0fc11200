package dev.kiln.deploy.render;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;

/**
 * The environment a container will see, with where each variable comes from: a literal, a
 * ConfigMap loaded with envFrom, or a Secret key. Explicit {@code env} entries win over envFrom,
 * as in the kubelet.
 */
public final class PodEnv {

    /** One variable: {@code value} for literals and ConfigMap entries, {@code secretName/secretKey} for secrets. */
    public record Entry(String name, String value, String secretName, String secretKey, String origin) {
        public boolean fromSecret() {
            return secretName != null;
        }
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>();

    public PodEnv(Rendering rendering, Container container) {
        for (EnvFromSource from : Objects.requireNonNullElse(container.getEnvFrom(), List.<EnvFromSource> of())) {
            if (from.getConfigMapRef() == null) {
                throw new AssertionError(
                        rendering + ": " + container.getName() + " loads envFrom something other than a ConfigMap");
            }
            String name = from.getConfigMapRef().getName();
            ConfigMap configMap = rendering.configMap(name).orElseThrow(() -> new AssertionError(
                    rendering + ": " + container.getName() + " loads ConfigMap " + name + " which is not rendered"));
            String prefix = Objects.requireNonNullElse(from.getPrefix(), "");
            configMap.getData()
                    .forEach((k, v) -> entries.put(prefix + k, new Entry(prefix + k, v, null, null, "ConfigMap " + name)));
        }
        for (EnvVar env : Objects.requireNonNullElse(container.getEnv(), List.<EnvVar> of())) {
            if (env.getValueFrom() != null && env.getValueFrom().getSecretKeyRef() != null) {
                var ref = env.getValueFrom().getSecretKeyRef();
                entries.put(env.getName(),
                        new Entry(env.getName(), null, ref.getName(), ref.getKey(), "Secret " + ref.getName()));
            } else if (env.getValueFrom() != null) {
                entries.put(env.getName(), new Entry(env.getName(), null, null, null, "valueFrom"));
            } else {
                entries.put(env.getName(), new Entry(env.getName(), env.getValue(), null, null, "literal"));
            }
        }
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    public Optional<Entry> get(String name) {
        return Optional.ofNullable(entries.get(name));
    }

    /** Non-secret value of a variable; fails the test when it is missing or secret. */
    public String value(String name) {
        Entry entry = entries.get(name);
        if (entry == null || entry.value() == null) {
            throw new AssertionError("env " + name + " is not set to a plain value (have " + entries.keySet() + ")");
        }
        return entry.value();
    }
}
