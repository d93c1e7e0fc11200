package dev.kiln.diffusion.model;

import ai.onnxruntime.OrtProvider;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ExecutionProvidersTest {

    @Test
    void cpuDeviceUsesCpu() {
        assertThat(ExecutionProviders.select(ExecutionConfig.cpu()).provider()).isEqualTo("CPU");
    }

    @Test
    void cudaRequestWithoutCudaFallsBackToCpu() {
        ExecutionProviders.Selection selection = ExecutionProviders.select(ExecutionConfig.cuda(0),
                EnumSet.of(OrtProvider.CPU));
        assertThat(selection.provider()).isEqualTo("CPU");
    }

    @Test
    void requiredCudaWithoutCudaFailsClearly() {
        assertThatThrownBy(() -> ExecutionProviders.select(ExecutionConfig.cuda(0).withRequireCuda(true),
                EnumSet.of(OrtProvider.CPU)))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("no CUDA provider");
    }

    @Test
    void rejectsAnUnknownDevice() {
        assertThatThrownBy(() -> new ExecutionConfig("tpu", false, 0, 0, "kNextPowerOfTwo", "EXHAUSTIVE", 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
