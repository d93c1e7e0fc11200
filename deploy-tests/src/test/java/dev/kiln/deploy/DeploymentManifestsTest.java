package dev.kiln.deploy;

import static dev.kiln.deploy.render.Rendering.API;
import static dev.kiln.deploy.render.Rendering.WORKER;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.kiln.deploy.app.AppConfig;
import dev.kiln.deploy.app.AppConfig.App;
import dev.kiln.deploy.crd.ScaledObject;
import dev.kiln.deploy.crd.ServiceMonitor;
import dev.kiln.deploy.render.PodEnv;
import dev.kiln.deploy.render.Rendering;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;

/**
 * What would break production, checked on every rendering of the chart and of deploy/k8s.
 * None of these checks needs a cluster.
 */
class DeploymentManifestsTest {

    private static final String GPU_RESOURCE = "nvidia.com/gpu";
    /** Env vars the JVM itself reads; they are not application config properties. */
    private static final Set<String> JVM_ENV = Set.of("JAVA_TOOL_OPTIONS");
    /** Credentials that must only ever come from a Secret, per app. */
    private static final Map<String, List<String>> CREDENTIALS = Map.of(
            API, List.of("KILN_API_KEY_PEPPER", "KILN_API_ADMIN_TOKEN", "KILN_API_REDIS_URI",
                    "KILN_API_S3_ACCESS_KEY", "KILN_API_S3_SECRET_KEY"),
            WORKER, List.of("KILN_WORKER_REDIS_URI", "KILN_WORKER_S3_ACCESS_KEY", "KILN_WORKER_S3_SECRET_KEY"));

    static Stream<Rendering> renderings() {
        return Renderings.all().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void rendersOneApiAndOneWorkerDeploymentWithTheirServices(Rendering rendering) {
        assertThat(rendering.deployments()).hasSize(2);
        for (String component : List.of(API, WORKER)) {
            Deployment deployment = rendering.deployment(component);
            assertThat(selects(deployment.getSpec().getSelector().getMatchLabels(), podLabels(deployment)))
                    .as("%s: %s selector matches its own pod template", rendering, component).isTrue();
            assertThat(rendering.services())
                    .as("%s: a Service selecting the %s pods", rendering, component)
                    .anyMatch(s -> selects(s.getSpec().getSelector(), podLabels(deployment)));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void probesHitQuarkusHealthEndpointsOnThePortTheAppListensOn(Rendering rendering) {
        for (String component : List.of(API, WORKER)) {
            Container container = rendering.appContainer(component);
            int listenPort = Integer.parseInt(new PodEnv(rendering, container).value("QUARKUS_HTTP_PORT"));

            assertProbe(rendering, container, container.getLivenessProbe(), "/q/health/live", listenPort);
            assertProbe(rendering, container, container.getReadinessProbe(), "/q/health/ready", listenPort);
            if (container.getStartupProbe() != null) {
                assertProbe(rendering, container, container.getStartupProbe(), "/q/health/live", listenPort);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void workerRequestsOneGpuAndIsScheduledOnlyOnTheGpuPool(Rendering rendering) {
        Container worker = rendering.appContainer(WORKER);
        PodSpec pod = rendering.deployment(WORKER).getSpec().getTemplate().getSpec();

        assertThat(worker.getResources().getLimits()).containsEntry(GPU_RESOURCE, new Quantity("1"));
        assertThat(worker.getResources().getRequests()).containsEntry(GPU_RESOURCE, new Quantity("1"));
        assertThat(pod.getNodeSelector()).as("GPU pool node selector").isNotEmpty();
        assertThat(Objects.requireNonNullElse(pod.getTolerations(), List.<Toleration> of()))
                .as("toleration for the GPU nodes' taint")
                .anyMatch(t -> GPU_RESOURCE.equals(t.getKey()) && "Exists".equals(t.getOperator())
                        && (t.getEffect() == null || "NoSchedule".equals(t.getEffect())));
        assertThat(new PodEnv(rendering, worker).value("KILN_WORKER_DEVICE")).isEqualTo("cuda");
        assertThat(new PodEnv(rendering, worker).value("KILN_WORKER_CUDA_REQUIRE"))
                .as("a GPU worker refuses to start on CPU instead of silently falling back").isEqualTo("true");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void apiDoesNotOccupyAGpu(Rendering rendering) {
        Container api = rendering.appContainer(API);
        assertThat(Objects.requireNonNullElse(api.getResources().getLimits(), Map.<String, Quantity> of()))
                .doesNotContainKey(GPU_RESOURCE);
        assertThat(rendering.deployment(API).getSpec().getTemplate().getSpec().getTolerations()).isNullOrEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void everyContainerDeclaresCpuAndMemoryRequestsAndAMemoryLimit(Rendering rendering) {
        for (Deployment deployment : rendering.deployments()) {
            PodSpec pod = deployment.getSpec().getTemplate().getSpec();
            List<Container> containers = new ArrayList<>(pod.getContainers());
            containers.addAll(Objects.requireNonNullElse(pod.getInitContainers(), List.of()));
            for (Container c : containers) {
                String where = rendering + " " + deployment.getMetadata().getName() + "/" + c.getName();
                assertThat(c.getResources()).as(where).isNotNull();
                assertThat(c.getResources().getRequests()).as(where + " requests").containsKeys("cpu", "memory");
                assertThat(c.getResources().getLimits()).as(where + " limits").containsKey("memory");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void everyDeploymentIsCoveredByADisruptionBudgetThatStillAllowsDrains(Rendering rendering) {
        for (String component : List.of(API, WORKER)) {
            Deployment deployment = rendering.deployment(component);
            List<PodDisruptionBudget> budgets = rendering.pdbs().stream()
                    .filter(p -> selects(p.getSpec().getSelector().getMatchLabels(), podLabels(deployment)))
                    .toList();
            assertThat(budgets).as("%s: PDB for %s", rendering, component).hasSize(1);
            PodDisruptionBudget pdb = budgets.get(0);
            if (pdb.getSpec().getMinAvailable() != null) {
                int minAvailable = pdb.getSpec().getMinAvailable().getIntVal();
                assertThat(minAvailable).as("minAvailable below the smallest replica count, or drains block")
                        .isLessThan(minimumReplicas(rendering, deployment));
            } else {
                assertThat(pdb.getSpec().getMaxUnavailable()).isNotNull();
                assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isPositive();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void servicesTargetANamedPortTheirPodsExpose(Rendering rendering) {
        for (Service service : rendering.services()) {
            Deployment target = rendering.deployments().stream()
                    .filter(d -> selects(service.getSpec().getSelector(), podLabels(d)))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError(
                            rendering + ": Service " + service.getMetadata().getName() + " selects no pods"));
            for (ServicePort port : service.getSpec().getPorts()) {
                assertThat(containerPort(target.getSpec().getTemplate().getSpec().getContainers().get(0), port.getTargetPort()))
                        .as("%s: Service %s targetPort %s", rendering, service.getMetadata().getName(), port.getTargetPort())
                        .isNotNull();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void everyEnvVarNamesAConfigPropertyOfItsApp(Rendering rendering) {
        for (App app : App.values()) {
            Set<String> known = AppConfig.knownPropertyNames(app).stream()
                    .map(AppConfig::envForm)
                    .collect(Collectors.toSet());
            PodEnv env = new PodEnv(rendering, rendering.appContainer(app.component));
            for (PodEnv.Entry entry : env.entries().values()) {
                if (JVM_ENV.contains(entry.name())) {
                    continue;
                }
                assertThat(known)
                        .as("%s: %s env %s (from %s) maps to no property in docs/contracts.md or %s's application.properties",
                                rendering, app.module, entry.name(), entry.origin(), app.module)
                        .contains(entry.name());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void credentialsComeFromSecretsNeverFromLiteralsOrConfigMaps(Rendering rendering) {
        CREDENTIALS.forEach((component, names) -> {
            PodEnv env = new PodEnv(rendering, rendering.appContainer(component));
            for (String name : names) {
                assertThat(env.get(name)).as("%s: %s must be set", rendering, name).isPresent();
                assertThat(env.get(name).get().fromSecret()).as("%s: %s must come from a Secret", rendering, name).isTrue();
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void bothAppsTalkToTheSameKafkaTopic(Rendering rendering) {
        PodEnv api = new PodEnv(rendering, rendering.appContainer(API));
        PodEnv worker = new PodEnv(rendering, rendering.appContainer(WORKER));
        assertThat(api.value("MP_MESSAGING_OUTGOING_JOBS_OUT_TOPIC"))
                .isEqualTo(worker.value("MP_MESSAGING_INCOMING_JOBS_IN_TOPIC"));
        assertThat(api.value("KAFKA_BOOTSTRAP_SERVERS")).isEqualTo(worker.value("KAFKA_BOOTSTRAP_SERVERS"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void workerShutdownGraceLetsTheLongestJobFinishBeforeRunningJobsAreAbandoned(Rendering rendering) {
        long longestJobMillis = 1000 * Long.parseLong(rendering.deployment(WORKER).getMetadata().getAnnotations()
                .get("kiln.dev/longest-job-seconds"));
        Duration shutdownGrace = duration(new PodEnv(rendering, rendering.appContainer(WORKER))
                .value("KILN_WORKER_SHUTDOWN_GRACE"));

        // The worker abandons its running jobs (for redelivery) once 3/4 of the grace has passed.
        assertThat(shutdownGrace.toMillis() * 3 / 4).as("%s: 3/4 of the worker's shutdown grace", rendering)
                .isGreaterThanOrEqualTo(longestJobMillis);
        assertThat(shutdownGrace.toMillis()).as("%s: time left to store, settle and commit", rendering)
                .isGreaterThan(longestJobMillis);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void workerPodGraceOutlastsTheWorkerDrainAndTheQuarkusStop(Rendering rendering) {
        Duration shutdownGrace = duration(new PodEnv(rendering, rendering.appContainer(WORKER))
                .value("KILN_WORKER_SHUTDOWN_GRACE"));
        Duration quarkusStop = duration(AppConfig.value(AppConfig.require(App.WORKER), "quarkus.shutdown.timeout")
                .orElseThrow(() -> new AssertionError("gpu-worker application.properties has no quarkus.shutdown.timeout")));
        long podGraceSeconds = rendering.deployment(WORKER).getSpec().getTemplate().getSpec()
                .getTerminationGracePeriodSeconds();

        assertThat(Duration.ofSeconds(podGraceSeconds)).as("%s: terminationGracePeriodSeconds before SIGKILL", rendering)
                .isGreaterThan(shutdownGrace.plus(quarkusStop));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void workerSetsNoneOfTheStaticBatcherPropertiesItIgnores(Rendering rendering) {
        PodEnv env = new PodEnv(rendering, rendering.appContainer(WORKER));

        assertThat(env.get("KILN_WORKER_BATCHING_MAX_BATCH_IMAGES")).as("%s: use max-rows", rendering).isEmpty();
        assertThat(env.get("KILN_WORKER_BATCHING_MAX_WAIT")).as("%s: step-level batching never holds", rendering)
                .isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void workerBatchingSettingsAreRenderedInFormsTheWorkerParses(Rendering rendering) {
        PodEnv env = new PodEnv(rendering, rendering.appContainer(WORKER));

        assertThat(Integer.parseInt(env.value("KILN_WORKER_BATCHING_MAX_ROWS"))).as("%s: max rows", rendering)
                .isPositive();
        assertThat(env.value("KILN_WORKER_BATCHING_ROW_BUCKETS").split(",")).as("%s: row buckets", rendering)
                .isNotEmpty().allSatisfy(bucket -> assertThat(Integer.parseInt(bucket)).isPositive());
        assertThat(Integer.parseInt(env.value("KILN_WORKER_BATCHING_MAX_QUEUED_JOBS"))).isPositive();
        assertThat(Long.parseLong(env.value("KILN_WORKER_BATCHING_PROMPT_CACHE_BYTES")))
                .as("%s: prompt cache bytes as a plain integer (not 6.7e+07)", rendering).isNotNegative();
        assertThat(duration(env.value("KILN_WORKER_BATCHING_DEADLINE_MARGIN"))).isPositive();
        assertThat(duration(env.value("KILN_WORKER_BATCHING_INITIAL_STEP_ESTIMATE"))).isPositive();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void workerReadsTheModelFromAReadOnlyVolumeThatIsFilledBeforeItStarts(Rendering rendering) {
        Container worker = rendering.appContainer(WORKER);
        PodSpec pod = rendering.deployment(WORKER).getSpec().getTemplate().getSpec();
        String modelDir = new PodEnv(rendering, worker).value("KILN_WORKER_MODEL_DIR");

        VolumeMount mount = worker.getVolumeMounts().stream()
                .filter(m -> m.getMountPath().equals(modelDir))
                .findFirst()
                .orElseThrow(() -> new AssertionError(rendering + ": nothing mounted at model dir " + modelDir));
        assertThat(mount.getReadOnly()).isTrue();
        Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
        if (volume.getPersistentVolumeClaim() == null) {
            assertThat(volume.getEmptyDir()).as("model volume is a PVC or an emptyDir").isNotNull();
            assertThat(volume.getEmptyDir().getSizeLimit()).as("bounded emptyDir").isNotNull();
            assertThat(Objects.requireNonNullElse(pod.getInitContainers(), List.<Container> of()))
                    .as("an init container fills the emptyDir model volume")
                    .anyMatch(init -> init.getVolumeMounts().stream()
                            .anyMatch(m -> m.getName().equals(volume.getName()) && !Boolean.TRUE.equals(m.getReadOnly())));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void containersRunAsNonRootOnAReadOnlyRootFilesystem(Rendering rendering) {
        for (Deployment deployment : rendering.deployments()) {
            PodSpec pod = deployment.getSpec().getTemplate().getSpec();
            assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
            List<Container> containers = new ArrayList<>(pod.getContainers());
            containers.addAll(Objects.requireNonNullElse(pod.getInitContainers(), List.of()));
            for (Container c : containers) {
                assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).as(c.getName()).isTrue();
                assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).as(c.getName()).isFalse();
                assertThat(c.getVolumeMounts()).as("%s needs a writable /tmp", c.getName())
                        .anyMatch(m -> m.getMountPath().equals("/tmp"));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void apiIsScaledByAnHpaThatKeepsTwoReplicas(Rendering rendering) {
        Deployment api = rendering.deployment(API);
        List<HorizontalPodAutoscaler> hpas = rendering.hpas();
        assertThat(hpas).hasSize(1);
        HorizontalPodAutoscaler hpa = hpas.get(0);
        assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
        assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo(api.getMetadata().getName());
        assertThat(hpa.getSpec().getMinReplicas()).isGreaterThanOrEqualTo(2);
        assertThat(hpa.getSpec().getMaxReplicas()).isGreaterThanOrEqualTo(hpa.getSpec().getMinReplicas());
        assertThat(api.getSpec().getReplicas()).as("the HPA owns the replica count").isNull();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void kedaScalesTheWorkerDeploymentOnItsOwnTopicGroupAndBrokers(Rendering rendering) {
        Deployment worker = rendering.deployment(WORKER);
        if (!rendering.expectsKeda()) {
            assertThat(rendering.scaledObjects()).isEmpty();
            assertThat(worker.getSpec().getReplicas()).as("fixed worker count without KEDA").isPositive();
            return;
        }
        ScaledObject.Trigger trigger = onlyKafkaTrigger(rendering);
        ScaledObject scaledObject = rendering.scaledObjects().get(0);
        PodEnv env = new PodEnv(rendering, rendering.appContainer(WORKER));

        assertThat(scaledObject.spec().scaleTargetRef().name()).isEqualTo(worker.getMetadata().getName());
        assertThat(worker.getSpec().getReplicas()).as("KEDA owns the replica count").isNull();
        assertThat(trigger.metadata().topic()).isEqualTo(env.value("MP_MESSAGING_INCOMING_JOBS_IN_TOPIC"));
        assertThat(trigger.metadata().consumerGroup()).isEqualTo(env.value("MP_MESSAGING_INCOMING_JOBS_IN_GROUP_ID"));
        assertThat(trigger.metadata().bootstrapServers()).isEqualTo(env.value("KAFKA_BOOTSTRAP_SERVERS"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void kedaLagThresholdIsTheJobsOneWorkerDrainsWithinTheTargetQueueTime(Rendering rendering) {
        if (!rendering.expectsKeda()) {
            assertThat(rendering.scaledObjects()).isEmpty();
            return;
        }
        Map<String, String> inputs = rendering.scaledObjects().get(0).metadata().getAnnotations();
        long maxRows = Long.parseLong(new PodEnv(rendering, rendering.appContainer(WORKER))
                .value("KILN_WORKER_BATCHING_MAX_ROWS"));
        long targetQueueSeconds = Long.parseLong(inputs.get("kiln.dev/target-queue-seconds"));
        long stepMillis = Long.parseLong(inputs.get("kiln.dev/step-millis"));
        long meanSteps = Long.parseLong(inputs.get("kiln.dev/mean-steps"));
        long meanImagesPerJob = Long.parseLong(inputs.get("kiln.dev/mean-images-per-job"));
        long rowsPerImage = Long.parseLong(inputs.get("kiln.dev/rows-per-image"));

        // A full worker steps maxRows rows per call; a job needs rowsPerImage x n rows for meanSteps calls.
        long rowStepsPerJob = rowsPerImage * meanImagesPerJob * meanSteps;
        long expected = Math.max(1, maxRows * targetQueueSeconds * 1000 / (rowStepsPerJob * stepMillis));
        assertThat(Long.parseLong(onlyKafkaTrigger(rendering).metadata().lagThreshold())).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void kedaNeverAddsMoreWorkersThanTheTopicHasPartitions(Rendering rendering) {
        if (!rendering.expectsKeda()) {
            assertThat(rendering.scaledObjects()).isEmpty();
            return;
        }
        ScaledObject scaledObject = rendering.scaledObjects().get(0);
        int partitions = Integer.parseInt(scaledObject.metadata().getAnnotations().get("kiln.dev/jobs-topic-partitions"));

        assertThat(scaledObject.spec().maxReplicaCount()).isBetween(1, partitions);
        assertThat(scaledObject.spec().minReplicaCount()).isBetween(0, scaledObject.spec().maxReplicaCount());
        assertThat(onlyKafkaTrigger(rendering).metadata().allowIdleConsumers()).isNotEqualTo("true");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void serviceMonitorsScrapeQuarkusMetricsOfBothAppsThroughNamedServicePorts(Rendering rendering) {
        List<ServiceMonitor> monitors = rendering.serviceMonitors();
        if (monitors.isEmpty()) {
            return; // monitoring disabled in this profile (the chart's default: no Prometheus Operator CRDs needed)
        }
        for (String component : List.of(API, WORKER)) {
            Deployment deployment = rendering.deployment(component);
            Service service = rendering.services().stream()
                    .filter(s -> selects(s.getSpec().getSelector(), podLabels(deployment)))
                    .findFirst().orElseThrow();
            ServiceMonitor monitor = monitors.stream()
                    .filter(m -> selects(m.spec().selector().getMatchLabels(), Rendering.labels(service)))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError(
                            rendering + ": no ServiceMonitor selects Service " + service.getMetadata().getName()));
            assertThat(monitor.spec().endpoints()).isNotEmpty().allSatisfy(endpoint -> {
                assertThat(endpoint.path()).isEqualTo("/q/metrics");
                assertThat(service.getSpec().getPorts()).anyMatch(p -> endpoint.port().equals(p.getName()));
            });
        }
    }

    // ---- helpers ----------------------------------------------------------------------------

    /** A Quarkus duration as the manifests write it: whole seconds ({@code 150s}) or milliseconds ({@code 200ms}). */
    private static Duration duration(String value) {
        if (value.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2)));
        }
        assertThat(value).as("duration %s in ms or s", value).endsWith("s");
        return Duration.ofSeconds(Long.parseLong(value.substring(0, value.length() - 1)));
    }

    private static ScaledObject.Trigger onlyKafkaTrigger(Rendering rendering) {
        assertThat(rendering.scaledObjects()).as("%s: one ScaledObject", rendering).hasSize(1);
        List<ScaledObject.Trigger> triggers = rendering.scaledObjects().get(0).spec().triggers();
        assertThat(triggers).hasSize(1);
        assertThat(triggers.get(0).type()).isEqualTo("kafka");
        return triggers.get(0);
    }

    private static void assertProbe(Rendering rendering, Container container, Probe probe, String path, int listenPort) {
        String where = rendering + " " + container.getName();
        assertThat(probe).as(where + " probe for " + path).isNotNull();
        assertThat(probe.getHttpGet()).as(where).isNotNull();
        assertThat(probe.getHttpGet().getPath()).as(where).isEqualTo(path);
        ContainerPort port = containerPort(container, probe.getHttpGet().getPort());
        assertThat(port).as(where + " probe port " + probe.getHttpGet().getPort() + " is a container port").isNotNull();
        assertThat(port.getContainerPort()).as(where + " probe port is where the app listens").isEqualTo(listenPort);
    }

    private static ContainerPort containerPort(Container container, IntOrString port) {
        return container.getPorts().stream()
                .filter(p -> port.getStrVal() != null ? port.getStrVal().equals(p.getName())
                        : port.getIntVal().equals(p.getContainerPort()))
                .findFirst()
                .orElse(null);
    }

    private static Map<String, String> podLabels(Deployment deployment) {
        return deployment.getSpec().getTemplate().getMetadata().getLabels();
    }

    private static boolean selects(Map<String, String> selector, Map<String, String> labels) {
        return selector != null && !selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet());
    }

    private static int minimumReplicas(Rendering rendering, Deployment deployment) {
        return rendering.hpas().stream()
                .filter(h -> h.getSpec().getScaleTargetRef().getName().equals(deployment.getMetadata().getName()))
                .map(h -> h.getSpec().getMinReplicas())
                .findFirst()
                .orElseGet(() -> Objects.requireNonNullElse(deployment.getSpec().getReplicas(), 1));
    }
}
