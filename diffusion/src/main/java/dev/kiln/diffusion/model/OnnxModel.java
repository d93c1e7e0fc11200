package dev.kiln.diffusion.model;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;

/**
 * One ONNX Runtime session plus the signature it reports. Created once per pipeline and reused;
 * {@link OrtSession#run} is thread-safe, and the pipeline runs one batch at a time anyway.
 */
public final class OnnxModel implements AutoCloseable {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final Path file;
    private final OrtSession session;
    private final Map<String, TensorSpec> inputs;
    private final Map<String, TensorSpec> outputs;
    private final LongAdder runNanos = new LongAdder();
    private final LongAdder runCpuNanos = new LongAdder();

    private OnnxModel(Path file, OrtSession session) throws OrtException {
        this.file = file;
        this.session = session;
        this.inputs = specs(session.getInputInfo());
        this.outputs = specs(session.getOutputInfo());
    }

    /** Opens {@code file}; external-data files (the UNet's weights) resolve next to it. */
    public static OnnxModel open(OrtEnvironment env, Path file, OrtSession.SessionOptions options) {
        try {
            return new OnnxModel(file, env.createSession(file.toString(), options));
        } catch (OrtException e) {
            throw new ModelLoadException("cannot load ONNX model " + file + ": " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    public Map<String, TensorSpec> inputs() {
        return inputs;
    }

    public Map<String, TensorSpec> outputs() {
        return outputs;
    }

    /** The input called {@code name}; a model without it is not an SD 1.5 export. */
    public TensorSpec requireInput(String name) {
        TensorSpec spec = inputs.get(name);
        if (spec == null) {
            throw new ModelLoadException(file + " has no input '" + name + "' (inputs: " + inputs.values() + ")");
        }
        return spec;
    }

    /** The first output whose name is one of {@code names}, in that order of preference. */
    public Optional<TensorSpec> findOutput(String... names) {
        for (String name : names) {
            if (outputs.containsKey(name)) {
                return Optional.of(outputs.get(name));
            }
        }
        return Optional.empty();
    }

    /**
     * Runs the graph and returns the one requested output as float32. Inputs stay owned by the
     * caller; the result is closed here.
     */
    public FloatOutput runForFloats(Map<String, OnnxTensor> feed, String outputName) throws OrtException {
        long start = System.nanoTime();
        long cpuStart = THREADS.getCurrentThreadCpuTime();
        OrtSession.Result run = session.run(feed, Set.of(outputName));
        runCpuNanos.add(THREADS.getCurrentThreadCpuTime() - cpuStart);
        runNanos.add(System.nanoTime() - start);
        try (OrtSession.Result result = run) {
            OnnxValue value = result.get(outputName)
                    .orElseThrow(() -> new IllegalStateException(file + " did not return " + outputName));
            OnnxTensor tensor = (OnnxTensor) value;
            return new FloatOutput(tensor.getInfo().getShape(), Tensors.toFloats(tensor));
        }
    }

    /** Total time spent inside {@link OrtSession#run} so far: ONNX Runtime's own share. */
    public long runNanos() {
        return runNanos.sum();
    }

    /**
     * Calling-thread CPU time spent inside {@link OrtSession#run} so far. With one intra-op
     * thread ONNX Runtime computes on the calling thread, so this is its whole CPU cost; with
     * more, only the caller's part. Lets a benchmark on a loaded machine separate Kiln's CPU
     * work from ONNX Runtime's without counting time spent waiting for a core.
     */
    public long runCpuNanos() {
        return runCpuNanos.sum();
    }

    /** A float32 copy of one graph output and its runtime shape. */
    public record FloatOutput(long[] shape, float[] data) {
    }

    private static Map<String, TensorSpec> specs(Map<String, NodeInfo> infos) {
        Map<String, TensorSpec> specs = new LinkedHashMap<>();
        for (NodeInfo info : infos.values()) {
            if (info.getInfo() instanceof TensorInfo tensor) {
                specs.put(info.getName(), new TensorSpec(info.getName(), tensor.type, tensor.getShape()));
            }
        }
        return Collections.unmodifiableMap(specs);
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("closing " + file, e);
        }
    }
}
