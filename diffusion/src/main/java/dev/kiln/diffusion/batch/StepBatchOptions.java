package dev.kiln.diffusion.batch;

import java.util.List;
import java.util.stream.Stream;

/**
 * How the {@link StepBatchExecutor} sizes its UNet calls.
 *
 * @param rowBuckets the batch sizes (in UNet rows) a call may have, ascending; a call with fewer rows is
 *        padded up to the smallest bucket that holds them, so the device only ever sees these
 *        shapes (cuDNN's exhaustive algorithm search and ONNX Runtime's memory plan are then
 *        warmed for a few shapes, not for every row count). The largest bucket is the maximum
 *        rows per call.
 * @param vaeBatchImages images per VAE encoder/decoder call
 */
public record StepBatchOptions(List<Integer> rowBuckets, int vaeBatchImages) {

    /** Powers of two up to 64: SD 1.5 at 512² on an 80-140 GB GPU. */
    public static final List<Integer> DEFAULT_ROW_BUCKETS = List.of(1, 2, 4, 8, 16, 32, 64);

    public StepBatchOptions {
        rowBuckets = List.copyOf(rowBuckets);
        if (rowBuckets.isEmpty()) {
            throw new IllegalArgumentException("at least one row bucket is needed");
        }
        int previous = 0;
        for (int bucket : rowBuckets) {
            if (bucket <= previous) {
                throw new IllegalArgumentException("row buckets must be positive and ascending, got " + rowBuckets);
            }
            previous = bucket;
        }
        if (vaeBatchImages < 1) {
            throw new IllegalArgumentException("vaeBatchImages must be at least 1, got " + vaeBatchImages);
        }
    }

    public static StepBatchOptions defaults() {
        return new StepBatchOptions(DEFAULT_ROW_BUCKETS, 1);
    }

    /** The buckets up to {@code maxRows}, with {@code maxRows} itself as the last one. */
    public static List<Integer> bucketsUpTo(List<Integer> buckets, int maxRows) {
        if (maxRows < 1) {
            throw new IllegalArgumentException("maxRows must be at least 1, got " + maxRows);
        }
        List<Integer> below = buckets.stream().filter(b -> b < maxRows).toList();
        return Stream.concat(below.stream(), Stream.of(maxRows)).toList();
    }

    public int maxRows() {
        return rowBuckets.get(rowBuckets.size() - 1);
    }

    /** The smallest bucket holding {@code rows}; {@code rows} must not exceed {@link #maxRows()}. */
    public int bucketFor(int rows) {
        for (int bucket : rowBuckets) {
            if (bucket >= rows) {
                return bucket;
            }
        }
        throw new IllegalArgumentException(rows + " rows exceed the largest bucket " + maxRows());
    }
}
