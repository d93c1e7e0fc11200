package dev.kiln.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.kiln.devstack.local.ProcessDevStack;
import dev.kiln.devstack.process.LoopbackPorts;

/** What close() leaves behind: nothing. Process-level checks, so always the processes flavour. */
class StackShutdownTest {

    private static List<ProcessHandle> servicesWhileRunning;
    private static List<Integer> portsWhileRunning;
    private static Path workDir;

    @BeforeAll
    static void startAndCloseStack() {
        ProcessDevStack stack = ProcessDevStack.start(DevStackConfig.defaults());
        servicesWhileRunning = stack.processes();
        portsWhileRunning = stack.ports();
        workDir = stack.workDir();
        stack.close();
    }

    @Test
    void noServiceProcessRemainsAfterClose() {
        Set<Long> descendants = ProcessHandle.current().descendants().map(ProcessHandle::pid).collect(Collectors.toSet());
        // Two JVMs, the redis wrapper and redis-server under it, at least.
        assertThat(servicesWhileRunning).hasSizeGreaterThanOrEqualTo(4);
        assertThat(servicesWhileRunning).allSatisfy(process -> {
            assertThat(process.isAlive()).as("pid %d alive", process.pid()).isFalse();
            assertThat(descendants).doesNotContain(process.pid());
        });
    }

    @Test
    void servicePortsAreFreeAfterClose() {
        assertThat(portsWhileRunning).hasSize(4)
                .allSatisfy(port -> assertThat(LoopbackPorts.isFree(port)).as("port %d free", port).isTrue());
    }

    @Test
    void workDirIsDeletedAfterClose() {
        assertThat(workDir).isNotNull();
        assertThat(Files.exists(workDir)).isFalse();
    }
}
