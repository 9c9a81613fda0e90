package ggufc.ir;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A tensor's bytes in its dtype's layout, row-major with {@code shape} in IR order (outermost
 * first, last dimension contiguous). For quantized dtypes each row of the last dimension is a whole
 * number of blocks. Weights are usually slices of a memory-mapped file.
 */
public record TensorData(DType dtype, long[] shape, MemorySegment bytes) {
    public TensorData {
        shape = shape.clone();
        long n = elements(shape);
        if (dtype.isQuantized() && shape.length > 0 && shape[shape.length - 1] % dtype.blockSize() != 0) {
            throw new IllegalArgumentException("rows of " + shape[shape.length - 1] + " elements are not whole " + dtype + " blocks");
        }
        if (bytes.byteSize() < dtype.bytesFor(n)) {
            throw new IllegalArgumentException(dtype + " tensor " + Arrays.toString(shape) + " needs " + dtype.bytesFor(n) + " bytes, got " + bytes.byteSize());
        }
    }

    public long elements() { return elements(shape); }

    /** Elements in one row (the last dimension). */
    public long rowLength() { return shape.length == 0 ? 1 : shape[shape.length - 1]; }

    public long rows() { return elements() / Math.max(1, rowLength()); }

    public long rowBytes() { return dtype.bytesFor(rowLength()); }

    public static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }
}
