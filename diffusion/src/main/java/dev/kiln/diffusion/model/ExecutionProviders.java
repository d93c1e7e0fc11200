package dev.kiln.diffusion.model;

import java.util.EnumSet;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;

/**
 * Builds session options for the configured device and decides, once, which provider the
 * pipeline actually uses. CUDA comes from the {@code onnxruntime_gpu} artifact (Maven profile
 * {@code gpu}); with the CPU artifact, or without a usable GPU, a {@code cuda} request falls back
 * to CPU with a WARNING — or fails when {@link ExecutionConfig#requireCuda()} is set.
 */
public final class ExecutionProviders {

    private static final System.Logger LOG = System.getLogger(ExecutionProviders.class.getName());
    /** The dynamic loader's "libX.so.N: cannot open shared object file". */
    private static final Pattern MISSING_LIBRARY = Pattern.compile("(lib[\\w.+-]+\\.so[.\\d]*): cannot open shared object");

    /** The provider chosen and the factory of session options that use it. */
    public record Selection(String provider, Supplier<OrtSession.SessionOptions> sessionOptions) {
    }

    private ExecutionProviders() {
    }

    public static Selection select(ExecutionConfig config) {
        return select(config, OrtEnvironment.getAvailableProviders());
    }

    static Selection select(ExecutionConfig config, EnumSet<OrtProvider> available) {
        if (config.device().equals("cuda")) {
            String problem = null;
            if (!available.contains(OrtProvider.CUDA)) {
                problem = "this ONNX Runtime build has no CUDA provider (available: " + available
                        + "; build with -Pgpu for onnxruntime_gpu)";
            } else {
                try (OrtSession.SessionOptions probe = cudaOptions(config)) {
                    // Options are built per session below; this only checks CUDA can initialise.
                } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
                    problem = cudaInitProblem(config.cudaDeviceId(), e.toString());
                }
            }
            if (problem == null) {
                LOG.log(System.Logger.Level.INFO, "ONNX Runtime execution provider: CUDA (device "
                        + config.cudaDeviceId() + ", arena " + config.arenaExtendStrategy() + ", gpu_mem_limit "
                        + (config.gpuMemLimitBytes() == 0 ? "none" : config.gpuMemLimitBytes() + " B")
                        + ", cudnn_conv_algo_search " + config.cudnnConvAlgoSearch() + ")");
                return new Selection("CUDA", () -> unchecked(() -> cudaOptions(config)));
            }
            if (config.requireCuda()) {
                throw new ModelLoadException("device=cuda is required but " + problem);
            }
            LOG.log(System.Logger.Level.WARNING, "device=cuda requested but " + problem
                    + "; falling back to CPU. ONNX Runtime execution provider: CPU");
            return new Selection("CPU", () -> unchecked(() -> cpuOptions(config)));
        }
        LOG.log(System.Logger.Level.INFO, "ONNX Runtime execution provider: CPU (intra-op threads "
                + (config.intraOpThreads() == 0 ? "auto" : config.intraOpThreads()) + ")");
        return new Selection("CPU", () -> unchecked(() -> cpuOptions(config)));
    }

    /**
     * What to tell an operator when the CUDA provider cannot start. The usual cause is a shared library the
     * provider links and the host lacks (ONNX Runtime's GPU build links CUDA 12 and cuDNN 9; a host with only
     * CUDA 13 cannot load it), which the loader's message names: it is repeated up front.
     */
    static String cudaInitProblem(int deviceId, String error) {
        Matcher missing = MISSING_LIBRARY.matcher(error);
        String libraries = missing.results().map(m -> m.group(1)).distinct().collect(Collectors.joining(", "));
        String cause = libraries.isEmpty() ? ""
                : "missing shared library " + libraries + " (ONNX Runtime's GPU "
                        + "build needs CUDA 12 and cuDNN 9 on the library path; CUDA 13 alone cannot load it); ";
        return "CUDA provider failed to initialise on device " + deviceId + ": " + cause + error;
    }

    private static OrtSession.SessionOptions cpuOptions(ExecutionConfig config) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        if (config.intraOpThreads() > 0) {
            options.setIntraOpNumThreads(config.intraOpThreads());
        }
        return options;
    }

    private static OrtSession.SessionOptions cudaOptions(ExecutionConfig config) throws OrtException {
        OrtSession.SessionOptions options = cpuOptions(config);
        try (OrtCUDAProviderOptions cuda = new OrtCUDAProviderOptions(config.cudaDeviceId())) {
            cuda.add("arena_extend_strategy", config.arenaExtendStrategy());
            cuda.add("cudnn_conv_algo_search", config.cudnnConvAlgoSearch());
            if (config.gpuMemLimitBytes() > 0) {
                cuda.add("gpu_mem_limit", Long.toString(config.gpuMemLimitBytes()));
            }
            options.addCUDA(cuda);
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
        return options;
    }

    private interface OrtSupplier<T> {
        T get() throws OrtException;
    }

    private static <T> T unchecked(OrtSupplier<T> supplier) {
        try {
            return supplier.get();
        } catch (OrtException e) {
            throw new ModelLoadException("cannot build ONNX Runtime session options: " + e.getMessage(), e);
        }
    }
}
