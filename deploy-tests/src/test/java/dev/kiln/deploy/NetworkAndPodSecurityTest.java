package dev.kiln.deploy;

import static dev.kiln.deploy.render.Rendering.API;
import static dev.kiln.deploy.render.Rendering.WORKER;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.kiln.deploy.render.Rendering;
import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;

/**
 * Network isolation and pod security of every rendering: which traffic the NetworkPolicies admit, and
 * what the pods and containers may do. Checked on the rendered objects, without a cluster.
 */
class NetworkAndPodSecurityTest {

    /** Kafka, Redis (+ Sentinel), S3 (MinIO, HTTPS) and DNS: all a Kiln pod may reach. */
    private static final Set<Integer> DEPENDENCY_PORTS = Set.of(9092, 6379, 26379, 9000, 443, 53);

    static Stream<Rendering> renderings() {
        return Renderings.all().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void everyDeploymentIsIsolatedForIngressAndEgressByANetworkPolicy(Rendering rendering) {
        for (Deployment deployment : rendering.deployments()) {
            assertThat(policyOf(rendering, deployment).getSpec().getPolicyTypes()).as(name(deployment))
                    .containsExactlyInAnyOrder("Ingress", "Egress");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void apiAdmitsItsPublicPortAndNobodyOnItsAdminPort(Rendering rendering) {
        Deployment api = rendering.deployment(API);
        List<NetworkPolicyIngressRule> ingress = policyOf(rendering, api).getSpec().getIngress();

        assertThat(ingressPorts(ingress)).containsExactly("http");
        assertThat(containerPortNames(api)).contains("http", "admin");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void workerAdmitsOnlyItsHealthAndMetricsPort(Rendering rendering) {
        Deployment worker = rendering.deployment(WORKER);
        List<NetworkPolicyIngressRule> ingress = policyOf(rendering, worker).getSpec().getIngress();

        assertThat(ingressPorts(ingress)).containsExactly("http");
        assertThat(containerPortNames(worker)).containsExactly("http");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void egressReachesOnlyKafkaRedisS3AndDns(Rendering rendering) {
        for (Deployment deployment : rendering.deployments()) {
            List<NetworkPolicyEgressRule> egress = policyOf(rendering, deployment).getSpec().getEgress();
            assertThat(egress).as("%s has egress rules", name(deployment)).isNotEmpty();
            for (NetworkPolicyEgressRule rule : egress) {
                // A rule without ports would admit every port of its destinations.
                assertThat(rule.getPorts()).as("%s: every egress rule names its ports", name(deployment)).isNotEmpty();
                for (NetworkPolicyPort port : rule.getPorts()) {
                    assertThat(port.getPort().getIntVal()).as(name(deployment)).isIn(DEPENDENCY_PORTS);
                }
            }
            assertThat(egressPorts(egress)).as(name(deployment))
                    .contains("TCP/9092", "TCP/6379", "UDP/53", "TCP/53")
                    .containsAnyOf("TCP/9000", "TCP/443");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void adminApiHasItsOwnServiceOnItsOwnPort(Rendering rendering) {
        List<Service> adminServices = rendering.services().stream()
                .filter(s -> s.getSpec().getPorts().stream().anyMatch(p -> "admin".equals(p.getTargetPort().getStrVal())))
                .toList();
        assertThat(adminServices).hasSize(1);
        assertThat(adminServices.get(0).getSpec().getPorts()).hasSize(1);
        assertThat(adminServices.get(0).getSpec().getType()).isEqualTo("ClusterIP");
        for (Service s : rendering.services()) {
            if (!adminServices.contains(s)) {
                assertThat(s.getSpec().getPorts()).as("%s exposes no admin port", s.getMetadata().getName())
                        .noneMatch(p -> "admin".equals(p.getTargetPort().getStrVal()));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void podsRunAsAnUnprivilegedUserUnderTheRuntimeDefaultSeccompProfile(Rendering rendering) {
        for (Deployment deployment : rendering.deployments()) {
            PodSpec pod = deployment.getSpec().getTemplate().getSpec();
            assertThat(pod.getSecurityContext().getRunAsNonRoot()).as(name(deployment)).isTrue();
            assertThat(pod.getSecurityContext().getRunAsUser()).as(name(deployment)).isNotNull().isPositive();
            assertThat(pod.getSecurityContext().getSeccompProfile().getType()).as(name(deployment))
                    .isEqualTo("RuntimeDefault");
            assertThat(pod.getHostNetwork()).as(name(deployment)).isNotEqualTo(Boolean.TRUE);
            assertThat(pod.getHostPID()).as(name(deployment)).isNotEqualTo(Boolean.TRUE);
            assertThat(pod.getHostIPC()).as(name(deployment)).isNotEqualTo(Boolean.TRUE);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("renderings")
    void containersDropEveryCapabilityAndAreNeverPrivileged(Rendering rendering) {
        for (Deployment deployment : rendering.deployments()) {
            for (Container c : containers(deployment)) {
                SecurityContext sc = c.getSecurityContext();
                assertThat(sc).as(c.getName()).isNotNull();
                assertThat(sc.getPrivileged()).as(c.getName()).isNotEqualTo(Boolean.TRUE);
                assertThat(sc.getAllowPrivilegeEscalation()).as(c.getName()).isFalse();
                Capabilities caps = Objects.requireNonNullElse(sc.getCapabilities(), new Capabilities());
                assertThat(caps.getDrop()).as("%s drops ALL capabilities", c.getName()).contains("ALL");
                assertThat(Objects.requireNonNullElse(caps.getAdd(), List.<String> of())).as(c.getName()).isEmpty();
            }
        }
    }

    private static NetworkPolicy policyOf(Rendering rendering, Deployment deployment) {
        Map<String, String> podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();
        List<NetworkPolicy> selecting = rendering.networkPolicies().stream()
                .filter(p -> podLabels.entrySet().containsAll(
                        Objects.requireNonNullElse(p.getSpec().getPodSelector().getMatchLabels(), Map.<String, String> of())
                                .entrySet()))
                .toList();
        assertThat(selecting).as("NetworkPolicies selecting %s", name(deployment)).hasSize(1);
        return selecting.get(0);
    }

    private static List<String> ingressPorts(List<NetworkPolicyIngressRule> ingress) {
        return ingress.stream().flatMap(r -> r.getPorts().stream())
                .map(p -> p.getPort().getStrVal() != null ? p.getPort().getStrVal() : p.getPort().getIntVal().toString())
                .toList();
    }

    private static Set<String> egressPorts(List<NetworkPolicyEgressRule> egress) {
        return egress.stream().flatMap(r -> r.getPorts().stream())
                .map(p -> p.getProtocol() + "/" + p.getPort().getIntVal()).collect(Collectors.toSet());
    }

    private static List<String> containerPortNames(Deployment deployment) {
        return deployment.getSpec().getTemplate().getSpec().getContainers().stream()
                .flatMap(c -> Objects.requireNonNullElse(c.getPorts(), List.<ContainerPort> of()).stream())
                .map(ContainerPort::getName).toList();
    }

    private static List<Container> containers(Deployment deployment) {
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        List<Container> all = new ArrayList<>(pod.getContainers());
        all.addAll(Objects.requireNonNullElse(pod.getInitContainers(), List.of()));
        return all;
    }

    private static String name(Deployment deployment) {
        return deployment.getMetadata().getName();
    }
}
