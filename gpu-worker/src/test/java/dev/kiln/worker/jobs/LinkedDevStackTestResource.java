package dev.kiln.worker.jobs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;

import dev.kiln.devstack.DevStack;
import dev.kiln.devstack.DevStackConfig;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * The dev stack (real Kafka, Redis, S3) with the worker's Redis and S3 connections running through
 * {@link TcpLink}s the test can cut. The test's own clients connect directly
 * ({@code kiln.test.direct.*}), so they keep working during an outage.
 */
public class LinkedDevStackTestResource implements QuarkusTestResourceLifecycleManager {
    private DevStack stack;
    private BackendLinks links;

    @Override
    public Map<String, String> start() {
        stack = DevStack.start(DevStackConfig.fromSystemProperties());
        Map<String, String> settings = new HashMap<>(stack.settings());
        URI redis = URI.create(stack.redisUri());
        URI s3 = URI.create(stack.s3().endpoint());
        try {
            links = new BackendLinks(new TcpLink(redis.getHost(), redis.getPort()), new TcpLink(s3.getHost(), s3.getPort()));
        } catch (IOException e) {
            stop();
            throw new UncheckedIOException(e);
        }
        settings.put("kiln.test.direct.redis.uri", stack.redisUri());
        settings.put("kiln.test.direct.s3.endpoint", stack.s3().endpoint());
        settings.put("kiln.worker.redis.uri", "redis://127.0.0.1:" + links.redis().port());
        settings.put("kiln.worker.s3.endpoint", "http://127.0.0.1:" + links.s3().port());
        return settings;
    }

    @Override
    public void inject(TestInjector testInjector) {
        testInjector.injectIntoFields(links,
                new TestInjector.AnnotatedAndMatchesType(InjectBackendLinks.class, BackendLinks.class));
    }

    @Override
    public void stop() {
        if (links != null) {
            links.redis().close();
            links.s3().close();
            links = null;
        }
        if (stack != null) {
            stack.close();
            stack = null;
        }
    }
}
