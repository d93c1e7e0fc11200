package dev.kiln.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.marcnuri.helm.LintResult;

import dev.kiln.deploy.render.HelmRenderer;
import dev.kiln.deploy.render.ManifestParser;
import dev.kiln.deploy.render.Rendering;
import dev.kiln.deploy.render.RepoPaths;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;

/** Chart behaviour that only exists in helm/kiln: lint, guard rails, value switches. */
class HelmChartTest {

    private final HelmRenderer helm = new HelmRenderer(RepoPaths.chart());

    @Test
    void lintsCleanInStrictMode() {
        LintResult lint = helm.lint();

        assertThat(lint.isFailed()).as("helm lint --strict: %s", lint.getMessages()).isFalse();
        assertThat(lint.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
    }

    @Test
    void defaultValuesNeedNeitherKedaNorThePrometheusOperator() {
        Rendering defaults = helm.render("default values", null, false);

        assertThat(defaults.scaledObjects()).isEmpty();
        assertThat(defaults.serviceMonitors()).isEmpty();
    }

    @Test
    void refusesMoreAutoscaledWorkersThanTopicPartitions() {
        assertThatThrownBy(() -> helm.template(RepoPaths.gpuAutoscalingValues(),
                Map.of("kafka.jobsTopicPartitions", "8", "worker.autoscaling.maxReplicaCount", "9")))
                .hasMessageContaining("exceeds kafka.jobsTopicPartitions");
    }

    @Test
    void refusesMoreFixedWorkersThanTopicPartitions() {
        assertThatThrownBy(() -> helm.template(null, Map.of("kafka.jobsTopicPartitions", "2", "worker.replicas", "3")))
                .hasMessageContaining("exceeds kafka.jobsTopicPartitions");
    }

    @Test
    void refusesAPvcModelSourceWithoutAClaimName() {
        assertThatThrownBy(() -> helm.template(null, Map.of("worker.model.source", "pvc")))
                .hasMessageContaining("worker.model.pvc.claimName");
    }

    @Test
    void mountsAnExistingClaimReadOnlyAndSkipsTheSyncWhenTheModelSourceIsPvc() {
        String yaml = helm.template(null, Map.of("worker.model.source", "pvc", "worker.model.pvc.claimName", "sd15-onnx"));
        Rendering rendering = new Rendering("helm pvc", new ManifestParser().parseAll(yaml, "helm pvc"), false);
        Deployment worker = rendering.deployment(Rendering.WORKER);

        Volume model = worker.getSpec().getTemplate().getSpec().getVolumes().stream()
                .filter(v -> v.getName().equals("model")).findFirst().orElseThrow();
        assertThat(model.getPersistentVolumeClaim().getClaimName()).isEqualTo("sd15-onnx");
        assertThat(model.getPersistentVolumeClaim().getReadOnly()).isTrue();
        assertThat(worker.getSpec().getTemplate().getSpec().getInitContainers()).isNullOrEmpty();
    }

    @ParameterizedTest
    @CsvSource({
            "worker.batching.maxBatchImages, worker.batching.maxRows",
            "worker.batching.maxWaitMillis, never holds a job",
            "worker.longestBatchSeconds, worker.longestJobSeconds",
            "worker.autoscaling.batchSeconds, worker.autoscaling.stepMillis" })
    void refusesValuesOfTheFormerStaticBatcherNamingTheirReplacement(String removed, String replacement) {
        assertThatThrownBy(() -> helm.template(null, Map.of(removed, "8")))
                .hasMessageContaining(removed)
                .hasMessageContaining(replacement);
    }

    @Test
    void refusesANonPositiveLagThresholdInput() {
        assertThatThrownBy(() -> helm.template(RepoPaths.gpuAutoscalingValues(), Map.of("worker.autoscaling.stepMillis", "0")))
                .hasMessageContaining("worker.autoscaling.stepMillis must be a positive integer");
    }

    @Test
    void changingWorkerConfigRollsTheWorkerPods() {
        String before = podConfigChecksum(helm.template(null, Map.of()));
        String after = podConfigChecksum(helm.template(null, Map.of("worker.batching.maxRows", "32")));

        assertThat(after).isNotEqualTo(before);
    }

    private static String podConfigChecksum(String yaml) {
        Rendering rendering = new Rendering("helm", new ManifestParser().parseAll(yaml, "helm"), false);
        return rendering.deployment(Rendering.WORKER).getSpec().getTemplate().getMetadata()
                .getAnnotations().get("checksum/config");
    }
}
