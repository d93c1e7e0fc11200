package dev.kiln.deploy.render;

import java.nio.file.Path;
import java.util.Map;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;

/** Renders helm/kiln through helm-java (Helm's own Go code as a native library; no cluster, no CLI). */
public final class HelmRenderer {

    private final Path chart;
    private final ManifestParser parser = new ManifestParser();

    public HelmRenderer(Path chart) {
        this.chart = chart;
    }

    /** {@code helm template} with an optional values file and {@code --set} overrides, as raw YAML. */
    public String template(Path valuesFile, Map<String, String> sets) {
        TemplateCommand command = new Helm(chart).template().withName("kiln").withNamespace("kiln");
        if (valuesFile != null) {
            command = command.withValuesFile(valuesFile);
        }
        for (Map.Entry<String, String> set : sets.entrySet()) {
            command = command.set(set.getKey(), set.getValue());
        }
        return command.call();
    }

    public Rendering render(String profile, Path valuesFile, boolean expectsKeda) {
        String yaml = template(valuesFile, Map.of());
        return new Rendering("helm " + profile, parser.parseAll(yaml, "helm template (" + profile + ")"), expectsKeda);
    }

    /** {@code helm lint --strict} on the chart's own values (helm-java 0.0.15's lint takes no values file). */
    public LintResult lint() {
        return new Helm(chart).lint().strict().call();
    }
}
