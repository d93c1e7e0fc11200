package dev.kiln.diffusion.model;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;

/**
 * Converts between the pipeline's float32 / int arrays and tensors of whatever element type a
 * graph declares, so float32 and float16 exports (and int32 or int64 ids and timesteps) run
 * through the same code.
 */
public final class Tensors {

    private Tensors() {
    }

    /** A tensor of {@code type} holding {@code values}; the caller closes it. */
    public static OnnxTensor fromFloats(OrtEnvironment env, OnnxJavaType type, float[] values, long[] shape)
            throws OrtException {
        switch (type) {
            case FLOAT:
                return OnnxTensor.createTensor(env, FloatBuffer.wrap(values), shape);
            case FLOAT16: {
                short[] halves = new short[values.length];
                for (int i = 0; i < values.length; i++) {
                    halves[i] = Fp16.fromFloat(values[i]);
                }
                return OnnxTensor.createTensor(env, ShortBuffer.wrap(halves), shape, OnnxJavaType.FLOAT16);
            }
            case DOUBLE: {
                double[] doubles = new double[values.length];
                for (int i = 0; i < values.length; i++) {
                    doubles[i] = values[i];
                }
                return OnnxTensor.createTensor(env, DoubleBuffer.wrap(doubles), shape);
            }
            case INT64: {
                long[] longs = new long[values.length];
                for (int i = 0; i < values.length; i++) {
                    longs[i] = Math.round(values[i]);
                }
                return OnnxTensor.createTensor(env, LongBuffer.wrap(longs), shape);
            }
            case INT32: {
                int[] ints = new int[values.length];
                for (int i = 0; i < values.length; i++) {
                    ints[i] = Math.round(values[i]);
                }
                return OnnxTensor.createTensor(env, IntBuffer.wrap(ints), shape);
            }
            default:
                throw new IllegalArgumentException("unsupported tensor element type " + type);
        }
    }

    /** An integer tensor (token ids) of {@code type} INT32 or INT64; the caller closes it. */
    public static OnnxTensor fromInts(OrtEnvironment env, OnnxJavaType type, int[] values, long[] shape)
            throws OrtException {
        switch (type) {
            case INT32:
                return OnnxTensor.createTensor(env, IntBuffer.wrap(values), shape);
            case INT64: {
                long[] longs = new long[values.length];
                for (int i = 0; i < values.length; i++) {
                    longs[i] = values[i];
                }
                return OnnxTensor.createTensor(env, LongBuffer.wrap(longs), shape);
            }
            default:
                throw new IllegalArgumentException("token ids must be int32 or int64, graph wants " + type);
        }
    }

    /** The tensor's values as float32, whatever its floating element type. */
    public static float[] toFloats(OnnxTensor tensor) {
        OnnxJavaType type = tensor.getInfo().type;
        switch (type) {
            case FLOAT: {
                FloatBuffer buffer = tensor.getFloatBuffer();
                float[] out = new float[buffer.remaining()];
                buffer.get(out);
                return out;
            }
            case FLOAT16: {
                ShortBuffer buffer = tensor.getShortBuffer();
                float[] out = new float[buffer.remaining()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = Fp16.toFloat(buffer.get(i));
                }
                return out;
            }
            case DOUBLE: {
                DoubleBuffer buffer = tensor.getDoubleBuffer();
                float[] out = new float[buffer.remaining()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = (float) buffer.get(i);
                }
                return out;
            }
            default:
                throw new IllegalArgumentException("expected a floating-point output, got " + type);
        }
    }
}
