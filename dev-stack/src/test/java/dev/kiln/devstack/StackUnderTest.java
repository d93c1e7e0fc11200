package dev.kiln.devstack;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.devstack.containers.ContainerDevStack;

/** Starts the flavour the -Dkiln.stack switch asks for, or skips loudly when it cannot run here. */
public final class StackUnderTest {

    private static boolean reportedSkip;

    private StackUnderTest() {
    }

    /** Skips the calling test when the switch asks for containers and there is no Docker. */
    public static void assumeSwitchedFlavourCanRun() {
        if (DevStackConfig.fromSystemProperties().flavour() == Flavour.CONTAINERS) {
            assumeDocker();
        }
    }

    public static DevStack startFromSwitch() {
        DevStackConfig config = DevStackConfig.fromSystemProperties();
        if (config.flavour() == Flavour.CONTAINERS) {
            assumeDocker();
        }
        return DevStack.start(config);
    }

    public static void assumeDocker() {
        boolean docker = ContainerDevStack.isDockerAvailable();
        if (!docker && !reportedSkip) {
            reportedSkip = true;
            System.out.println("SKIPPED: containers flavour (-Dkiln.stack=containers) needs Docker;"
                    + " no Docker daemon on this machine, so its tests are reported as skipped, not passed.");
        }
        assumeTrue(docker, "containers flavour skipped: no Docker daemon on this machine");
    }
}
