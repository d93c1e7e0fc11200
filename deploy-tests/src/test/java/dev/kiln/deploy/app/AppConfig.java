package dev.kiln.deploy.app;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import dev.kiln.deploy.render.Rendering;
import dev.kiln.deploy.render.RepoPaths;

/**
 * What the two applications actually read: their {@code application.properties} (the source of
 * truth for topic, group and port) and the configuration property names listed in
 * docs/contracts.md (the names their {@code @ConfigMapping} interfaces must implement).
 *
 * <p>
 * While the services are being written their properties files may be missing. Then the checks
 * that need them are aborted with a JUnit assumption (reported as skipped, with the reason), unless
 * {@code -Dkiln.deploy.requireAppConfig=true}, which turns the absence into a failure. They never
 * fall back to the values in contracts.md.
 */
public final class AppConfig {

    /** A Kiln service and where its config lives. */
    public enum App {
        API("api-service", Rendering.API),
        WORKER("gpu-worker", Rendering.WORKER);

        public final String module;
        public final String component;

        App(String module, String component) {
            this.module = module;
            this.component = component;
        }

        public Path applicationProperties() {
            return RepoPaths.root().resolve(module).resolve("src/main/resources/application.properties");
        }
    }

    /** Quarkus' default HTTP port when quarkus.http.port is not set. */
    public static final int QUARKUS_DEFAULT_HTTP_PORT = 8080;

    private static final Pattern BACKTICKED = Pattern.compile("`([^`]+)`");
    private static final Pattern PROPERTY_NAME = Pattern.compile("[a-z][a-z0-9-]*(\\.[a-z0-9-]+)+");
    private static final Pattern EXPRESSION = Pattern.compile("\\$\\{([^:}]+)(?::([^}]*))?}");

    private AppConfig() {
    }

    /** The app's properties, or a skipped/failed test (see class comment) when the file does not exist yet. */
    public static Properties require(App app) {
        Path file = app.applicationProperties();
        String message = app.module + " has no " + RepoPaths.root().relativize(file)
                + " yet: cannot check the deployment against the app's real topic/group/port";
        if (!Files.isRegularFile(file)) {
            if (Boolean.getBoolean("kiln.deploy.requireAppConfig")) {
                Assertions.fail(message);
            }
            Assumptions.abort(message + " (set -Dkiln.deploy.requireAppConfig=true to make this a failure)");
        }
        return load(file);
    }

    public static Optional<Properties> ifPresent(App app) {
        Path file = app.applicationProperties();
        return Files.isRegularFile(file) ? Optional.of(load(file)) : Optional.empty();
    }

    /**
     * Value of {@code key} in the prod profile, with {@code ${other:default}} expressions resolved
     * against the same file; empty when the key is absent.
     */
    public static Optional<String> value(Properties props, String key) {
        String raw = props.getProperty(key);
        if (raw == null) {
            return Optional.empty();
        }
        return Optional.of(resolve(props, raw.trim(), 0));
    }

    /** Port the app listens on: quarkus.http.port if set, else Quarkus' default. */
    public static int httpPort(Properties props) {
        return value(props, "quarkus.http.port").map(Integer::parseInt).orElse(QUARKUS_DEFAULT_HTTP_PORT);
    }

    /**
     * Property names the app is known to read: those listed for it in docs/contracts.md plus every
     * key (profile prefix removed) of its application.properties when that file exists.
     */
    public static Set<String> knownPropertyNames(App app) {
        Set<String> names = new TreeSet<>(contractPropertyNames(app));
        ifPresent(app).ifPresent(props -> props.stringPropertyNames().forEach(k -> names.add(stripProfile(k))));
        return names;
    }

    /** Names listed under the app's heading in the "Configuration property names" section of contracts.md. */
    public static Set<String> contractPropertyNames(App app) {
        List<String> lines;
        try {
            lines = Files.readAllLines(RepoPaths.root().resolve("docs/contracts.md"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Set<String> names = new LinkedHashSet<>();
        boolean inSection = false;
        String current = null;
        for (String line : lines) {
            if (line.startsWith("## ")) {
                inSection = line.startsWith("## Configuration property names");
                current = null;
                continue;
            }
            if (!inSection) {
                continue;
            }
            if (line.startsWith("api-service (")) {
                current = App.API.module;
            } else if (line.startsWith("gpu-worker (")) {
                current = App.WORKER.module;
            }
            if (!app.module.equals(current)) {
                continue;
            }
            Matcher m = BACKTICKED.matcher(line);
            while (m.find()) {
                String token = m.group(1);
                int eq = token.indexOf('=');
                String name = eq >= 0 ? token.substring(0, eq) : token;
                if (PROPERTY_NAME.matcher(name).matches()) {
                    names.add(name);
                }
            }
        }
        if (names.isEmpty()) {
            throw new IllegalStateException("docs/contracts.md lists no configuration properties for " + app.module);
        }
        return names;
    }

    /** Quarkus/SmallRye env-var form of a property name: upper case, every non-alphanumeric becomes '_'. */
    public static String envForm(String propertyName) {
        return propertyName.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }

    private static String stripProfile(String key) {
        if (key.startsWith("%")) {
            int dot = key.indexOf('.');
            return dot < 0 ? key : key.substring(dot + 1);
        }
        return key;
    }

    private static String resolve(Properties props, String raw, int depth) {
        if (depth > 10) {
            throw new IllegalStateException("property expressions nest too deep: " + raw);
        }
        Matcher m = EXPRESSION.matcher(raw);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String referenced = props.getProperty(m.group(1));
            String replacement = referenced != null ? resolve(props, referenced.trim(), depth + 1)
                    : m.group(2) != null ? m.group(2) : m.group(0);
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static Properties load(Path file) {
        Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return props;
    }
}
