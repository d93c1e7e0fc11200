package dev.kiln.diffusion.model;

import java.util.Arrays;

import ai.onnxruntime.OnnxJavaType;

/**
 * One input or output of an ONNX graph as the session reports it. Dimensions that the graph
 * leaves symbolic (batch, height, ...) are {@code -1}.
 */
public record TensorSpec(String name, OnnxJavaType type, long[] shape) {

    public int rank() {
        return shape.length;
    }

    /** The size of dimension {@code axis}, or {@code -1} when the graph leaves it symbolic. */
    public long dim(int axis) {
        return axis < shape.length ? shape[axis] : -1;
    }

    @Override
    public String toString() {
        return name + ":" + type + Arrays.toString(shape);
    }
}
