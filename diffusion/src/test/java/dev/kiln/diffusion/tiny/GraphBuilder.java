package dev.kiln.diffusion.tiny;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import com.google.protobuf.ByteString;

import ai.onnx.proto.OnnxMl;

/**
 * A minimal builder of ONNX graphs on the protobuf classes that tribuo-util-onnx ships. Enough
 * for the tiny generator: typed inputs/outputs with symbolic dims, float initializers (inline or
 * in an external data file), nodes with int/float/ints attributes.
 */
final class GraphBuilder {

    static final int OPSET = 14;

    private final OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder();
    private final SplittableRandom random;
    private final ByteArrayOutputStream external = new ByteArrayOutputStream();
    private final String externalFileName;
    private int nodeCount;

    /** {@code externalFileName} non-null: initializers go to that file next to the model. */
    GraphBuilder(String name, long seed, String externalFileName) {
        graph.setName(name);
        this.random = new SplittableRandom(seed);
        this.externalFileName = externalFileName;
    }

    /** A dim is an Integer (fixed) or a String (symbolic). */
    GraphBuilder input(String name, OnnxMl.TensorProto.DataType type, Object... dims) {
        graph.addInput(valueInfo(name, type, dims));
        return this;
    }

    GraphBuilder output(String name, OnnxMl.TensorProto.DataType type, Object... dims) {
        graph.addOutput(valueInfo(name, type, dims));
        return this;
    }

    /** A float initializer of Gaussian values with standard deviation {@code std} plus {@code mean}. */
    String randomWeight(String name, double mean, double std, long... dims) {
        int count = 1;
        for (long d : dims) {
            count = Math.multiplyExact(count, (int) d);
        }
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) (mean + std * gaussian());
        }
        return weight(name, values, dims);
    }

    String weight(String name, float[] values, long... dims) {
        OnnxMl.TensorProto.Builder tensor = OnnxMl.TensorProto.newBuilder()
                .setName(name)
                .setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber());
        for (long d : dims) {
            tensor.addDims(d);
        }
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        if (externalFileName != null) {
            // Aligned offsets, as onnx's external-data writer produces (lets ORT mmap them).
            while (external.size() % 64 != 0) {
                external.write(0);
            }
            long offset = external.size();
            external.writeBytes(bytes.array());
            tensor.setDataLocation(OnnxMl.TensorProto.DataLocation.EXTERNAL)
                    .addExternalData(entry("location", externalFileName))
                    .addExternalData(entry("offset", Long.toString(offset)))
                    .addExternalData(entry("length", Integer.toString(values.length * 4)));
        } else {
            tensor.setRawData(ByteString.copyFrom(bytes.array()));
        }
        graph.addInitializer(tensor);
        return name;
    }

    /** An int64 initializer (shapes, axes); always inline. */
    String longs(String name, long... values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asLongBuffer().put(values);
        graph.addInitializer(OnnxMl.TensorProto.newBuilder().setName(name)
                .setDataType(OnnxMl.TensorProto.DataType.INT64.getNumber())
                .addDims(values.length)
                .setRawData(ByteString.copyFrom(bytes.array())));
        return name;
    }

    /** A scalar float constant; always inline. */
    String scalar(String name, float value) {
        ByteBuffer bytes = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, value);
        graph.addInitializer(OnnxMl.TensorProto.newBuilder().setName(name)
                .setDataType(OnnxMl.TensorProto.DataType.FLOAT.getNumber())
                .setRawData(ByteString.copyFrom(bytes.array())));
        return name;
    }

    /** Adds a node; attributes are name/value pairs (Integer/Long, Float/Double, long[]). */
    String node(String op, String output, String[] inputs, Object... attributes) {
        OnnxMl.NodeProto.Builder node = OnnxMl.NodeProto.newBuilder()
                .setOpType(op).setName(op + "_" + nodeCount++).addOutput(output);
        for (String input : inputs) {
            node.addInput(input);
        }
        for (int i = 0; i < attributes.length; i += 2) {
            String name = (String) attributes[i];
            Object value = attributes[i + 1];
            OnnxMl.AttributeProto.Builder attr = OnnxMl.AttributeProto.newBuilder().setName(name);
            if (value instanceof Integer || value instanceof Long) {
                attr.setType(OnnxMl.AttributeProto.AttributeType.INT).setI(((Number) value).longValue());
            } else if (value instanceof Float || value instanceof Double) {
                attr.setType(OnnxMl.AttributeProto.AttributeType.FLOAT).setF(((Number) value).floatValue());
            } else if (value instanceof long[] ints) {
                attr.setType(OnnxMl.AttributeProto.AttributeType.INTS);
                for (long v : ints) {
                    attr.addInts(v);
                }
            } else {
                throw new IllegalArgumentException("unsupported attribute " + name + "=" + value);
            }
            node.addAttribute(attr);
        }
        graph.addNode(node);
        return output;
    }

    String node(String op, String output, String... inputs) {
        return node(op, output, inputs, new Object[0]);
    }

    /** Writes {@code dir/model.onnx} (and the external data file, if any). */
    void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        OnnxMl.ModelProto model = OnnxMl.ModelProto.newBuilder()
                .setIrVersion(7)
                .setProducerName("kiln-tiny-model-generator")
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(graph)
                .build();
        Files.write(dir.resolve("model.onnx"), model.toByteArray());
        if (externalFileName != null) {
            Files.write(dir.resolve(externalFileName), external.toByteArray());
        }
    }

    private double gaussian() {
        double u1 = 1.0 - random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    private static OnnxMl.StringStringEntryProto entry(String key, String value) {
        return OnnxMl.StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }

    private static OnnxMl.ValueInfoProto valueInfo(String name, OnnxMl.TensorProto.DataType type, Object... dims) {
        OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
        for (Object dim : dims) {
            OnnxMl.TensorShapeProto.Dimension.Builder d = OnnxMl.TensorShapeProto.Dimension.newBuilder();
            if (dim instanceof Integer fixed) {
                d.setDimValue(fixed);
            } else {
                d.setDimParam((String) dim);
            }
            shape.addDim(d);
        }
        return OnnxMl.ValueInfoProto.newBuilder().setName(name)
                .setType(OnnxMl.TypeProto.newBuilder().setTensorType(
                        OnnxMl.TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(shape)))
                .build();
    }
}
