package dev.kiln.deploy;

import static dev.kiln.deploy.render.Rendering.API;
import static dev.kiln.deploy.render.Rendering.WORKER;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.kiln.deploy.app.AppConfig;
import dev.kiln.deploy.app.AppConfig.App;
import dev.kiln.deploy.crd.ScaledObject;
import dev.kiln.deploy.render.PodEnv;
import dev.kiln.deploy.render.Rendering;

/**
 * The deployment against the applications' own application.properties: the manifests may only
 * repeat what the apps are configured with, never invent a topic, group or port of their own.
 * Skipped (with the reason) while an app has no application.properties yet; see {@link AppConfig}.
 */
class AppConfigAlignmentTest {

    private static final String WORKER_TOPIC = "mp.messaging.incoming.jobs-in.topic";
    private static final String WORKER_GROUP = "mp.messaging.incoming.jobs-in.group.id";
    private static final String API_TOPIC = "mp.messaging.outgoing.jobs-out.topic";

    static Stream<Rendering> renderings() {
        return Renderings.all().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void kedaTriggerWatchesTheTopicAndGroupTheWorkerIsConfiguredWith(Rendering rendering) {
        Properties worker = AppConfig.require(App.WORKER);
        String topic = AppConfig.value(worker, WORKER_TOPIC)
                .orElseThrow(() -> new AssertionError("gpu-worker application.properties has no " + WORKER_TOPIC));
        String group = AppConfig.value(worker, WORKER_GROUP)
                .orElseThrow(() -> new AssertionError("gpu-worker application.properties has no " + WORKER_GROUP));

        for (ScaledObject scaledObject : rendering.scaledObjects()) {
            ScaledObject.KafkaMetadata trigger = scaledObject.spec().triggers().get(0).metadata();
            assertThat(trigger.topic()).isEqualTo(topic);
            assertThat(trigger.consumerGroup()).isEqualTo(group);
        }
        PodEnv env = new PodEnv(rendering, rendering.appContainer(WORKER));
        assertThat(env.value("MP_MESSAGING_INCOMING_JOBS_IN_TOPIC")).isEqualTo(topic);
        assertThat(env.value("MP_MESSAGING_INCOMING_JOBS_IN_GROUP_ID")).isEqualTo(group);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void apiProducesToTheTopicItIsConfiguredWith(Rendering rendering) {
        Properties api = AppConfig.require(App.API);
        String topic = AppConfig.value(api, API_TOPIC)
                .orElseThrow(() -> new AssertionError("api-service application.properties has no " + API_TOPIC));

        assertThat(new PodEnv(rendering, rendering.appContainer(API)).value("MP_MESSAGING_OUTGOING_JOBS_OUT_TOPIC"))
                .isEqualTo(topic);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void podsExposeThePortEachAppIsConfiguredToListenOn(Rendering rendering) {
        for (App app : App.values()) {
            int configuredPort = AppConfig.httpPort(AppConfig.require(app));
            PodEnv env = new PodEnv(rendering, rendering.appContainer(app.component));

            assertThat(Integer.parseInt(env.value("QUARKUS_HTTP_PORT"))).as(app.module).isEqualTo(configuredPort);
            assertThat(rendering.appContainer(app.component).getPorts())
                    .as(app.module).anyMatch(p -> p.getContainerPort() == configuredPort && "http".equals(p.getName()));
        }
    }
}
