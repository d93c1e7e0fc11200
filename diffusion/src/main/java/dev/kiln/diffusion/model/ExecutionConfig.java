package dev.kiln.diffusion.model;

import java.util.Locale;

/**
 * Where the models run. The worker maps {@code kiln.worker.device} / {@code kiln.worker.cuda.*}
 * onto this record; the CLI maps its flags.
 *
 * @param device {@code cpu} or {@code cuda}
 * @param requireCuda when {@code device=cuda} and CUDA is unavailable: fail instead of
 *        falling back to CPU with a warning
 * @param cudaDeviceId CUDA device ordinal
 * @param gpuMemLimitBytes ONNX Runtime's CUDA arena limit; {@code 0} = no limit
 * @param arenaExtendStrategy {@code kNextPowerOfTwo} (ORT default) or {@code kSameAsRequested}
 *        (less over-allocation: better when the UNet shares the GPU)
 * @param cudnnConvAlgoSearch {@code EXHAUSTIVE} (ORT default, slow first run, fastest
 *        kernels), {@code HEURISTIC} or {@code DEFAULT}
 * @param intraOpThreads CPU threads per op; {@code 0} lets ONNX Runtime choose
 */
public record ExecutionConfig(String device, boolean requireCuda, int cudaDeviceId, long gpuMemLimitBytes,
        String arenaExtendStrategy, String cudnnConvAlgoSearch, int intraOpThreads) {

    public ExecutionConfig {
        device = device.toLowerCase(Locale.ROOT);
        if (!device.equals("cpu") && !device.equals("cuda")) {
            throw new IllegalArgumentException("device must be cpu or cuda, got " + device);
        }
        if (!arenaExtendStrategy.equals("kNextPowerOfTwo") && !arenaExtendStrategy.equals("kSameAsRequested")) {
            throw new IllegalArgumentException("arena extend strategy must be kNextPowerOfTwo or kSameAsRequested");
        }
        if (!cudnnConvAlgoSearch.equals("EXHAUSTIVE") && !cudnnConvAlgoSearch.equals("HEURISTIC")
                && !cudnnConvAlgoSearch.equals("DEFAULT")) {
            throw new IllegalArgumentException("cudnn conv algo search must be EXHAUSTIVE, HEURISTIC or DEFAULT");
        }
    }

    public static ExecutionConfig cpu() {
        return new ExecutionConfig("cpu", false, 0, 0, "kNextPowerOfTwo", "EXHAUSTIVE", 0);
    }

    public static ExecutionConfig cuda(int deviceId) {
        return new ExecutionConfig("cuda", false, deviceId, 0, "kNextPowerOfTwo", "EXHAUSTIVE", 0);
    }

    public ExecutionConfig withRequireCuda(boolean require) {
        return new ExecutionConfig(device, require, cudaDeviceId, gpuMemLimitBytes, arenaExtendStrategy,
                cudnnConvAlgoSearch, intraOpThreads);
    }

    public ExecutionConfig withIntraOpThreads(int threads) {
        return new ExecutionConfig(device, requireCuda, cudaDeviceId, gpuMemLimitBytes, arenaExtendStrategy,
                cudnnConvAlgoSearch, threads);
    }
}
