package dev.kiln.devstack.quarkus;

import java.util.Map;

import dev.kiln.devstack.DevStack;
import dev.kiln.devstack.DevStackConfig;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Starts a {@link DevStack} for a {@code @QuarkusTest} and hands its settings to the application:
 *
 * <pre>
 * {
 *     &#64;code
 *     &#64;QuarkusTest
 *     &#64;QuarkusTestResource(value = DevStackTestResource.class, restrictToAnnotatedClass = true)
 *     class SubmitTest {
 *         @InjectDevStack
 *         DevStack stack;
 *     }
 * }
 * </pre>
 *
 * <p>
 * The flavour and the rest come from system properties ({@link DevStackConfig#fromSystemProperties()});
 * the resource's {@code initArgs} may override {@code topics} ({@code name:partitions,...}) and {@code bucket}.
 */
public class DevStackTestResource implements QuarkusTestResourceLifecycleManager {

    private DevStackConfig config = DevStackConfig.fromSystemProperties();
    private DevStack stack;

    @Override
    public void init(Map<String, String> initArgs) {
        String topics = initArgs.get("topics");
        if (topics != null && !topics.isBlank()) {
            config = config.withTopics(DevStackConfig.parseTopics(topics));
        }
        String bucket = initArgs.get("bucket");
        if (bucket != null && !bucket.isBlank()) {
            config = config.withBucket(bucket);
        }
    }

    @Override
    public Map<String, String> start() {
        stack = DevStack.start(config);
        return stack.settings();
    }

    @Override
    public void inject(TestInjector testInjector) {
        testInjector.injectIntoFields(stack, new TestInjector.AnnotatedAndMatchesType(InjectDevStack.class, DevStack.class));
    }

    @Override
    public void stop() {
        if (stack != null) {
            stack.close();
            stack = null;
        }
    }

    /** The running stack, or {@code null} outside start/stop. */
    public DevStack stack() {
        return stack;
    }
}
