package dev.kiln.diffusion.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;

import org.junit.jupiter.api.Test;

import ai.onnxruntime.OrtProvider;

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
    void namesTheCudaLibraryTheHostLacks() {
        // ONNX Runtime's message when its CUDA provider library cannot be loaded on a host without CUDA 12.
        String error = "ai.onnxruntime.OrtException: Error code - ORT_RUNTIME_EXCEPTION - message: "
                + "provider_bridge_ort.cc:1778 onnxruntime::ProviderLibrary::Get() [ONNXRuntimeError] : 1 : FAIL : "
                + "Failed to load library libonnxruntime_providers_cuda.so with error: libcublasLt.so.12: cannot open "
                + "shared object file: No such file or directory";

        assertThat(ExecutionProviders.cudaInitProblem(0, error))
                .startsWith("CUDA provider failed to initialise on device 0: missing shared library libcublasLt.so.12")
                .contains("CUDA 12 and cuDNN 9");
    }

    @Test
    void rejectsAnUnknownDevice() {
        assertThatThrownBy(() -> new ExecutionConfig("tpu", false, 0, 0, "kNextPowerOfTwo", "EXHAUSTIVE", 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
