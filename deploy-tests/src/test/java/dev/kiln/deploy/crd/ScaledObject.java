package dev.kiln.deploy.crd;

import java.util.List;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBehavior;

/**
 * KEDA {@code keda.sh/v1alpha1 ScaledObject}, only the fields Kiln uses. Parsed with unknown
 * properties failing, so a misspelt field (which KEDA's CRD would prune silently) breaks the build.
 */
public record ScaledObject(String apiVersion, String kind, ObjectMeta metadata, Spec spec) {

    public record Spec(
            ScaleTargetRef scaleTargetRef,
            Integer pollingInterval,
            Integer cooldownPeriod,
            Integer idleReplicaCount,
            Integer minReplicaCount,
            Integer maxReplicaCount,
            Advanced advanced,
            List<Trigger> triggers) {
    }

    public record ScaleTargetRef(String apiVersion, String kind, String name) {
    }

    public record Advanced(Boolean restoreToOriginalReplicaCount, HpaConfig horizontalPodAutoscalerConfig) {
    }

    public record HpaConfig(String name, HorizontalPodAutoscalerBehavior behavior) {
    }

    /** Only the Kafka scaler is modelled: any other trigger type fails to parse on purpose. */
    public record Trigger(String type, String name, KafkaMetadata metadata, AuthenticationRef authenticationRef) {
    }

    /** Metadata keys of KEDA's Kafka scaler; KEDA reads every value as a string. */
    public record KafkaMetadata(
            String bootstrapServers,
            String consumerGroup,
            String topic,
            String lagThreshold,
            String activationLagThreshold,
            String offsetResetPolicy,
            String allowIdleConsumers,
            String scaleToZeroOnInvalidOffset,
            String excludePersistentLag,
            String limitToPartitionsWithLag,
            String partitionLimitation,
            String version,
            String tls,
            String sasl) {
    }

    public record AuthenticationRef(String name, String kind) {
    }
}
