package ggufc.ir.interp;

import ggufc.ir.DType;
import ggufc.ir.TensorData;
import java.util.Arrays;

/**
 * A runtime tensor in the interpreter: f32 data, i32 data, or raw bytes of a weight in its own
 * dtype (quantized weights are never expanded as a whole; ops decode the rows they touch).
 */
public record Value(DType dtype, long[] shape, float[] f32, int[] i32, TensorData raw) {

    public static Value ofF32(long[] shape, float[] data) {
        check(shape, data.length);
        return new Value(DType.F32, shape.clone(), data, null, null);
    }

    public static Value ofI32(long[] shape, int[] data) {
        check(shape, data.length);
        return new Value(DType.I32, shape.clone(), null, data, null);
    }

    public static Value ofRaw(TensorData d) { return new Value(d.dtype(), d.shape(), null, null, d); }

    public long elements() { return TensorData.elements(shape); }

    public int rowLength() { return shape.length == 0 ? 1 : (int) shape[shape.length - 1]; }

    public int rows() { return (int) (elements() / Math.max(1, rowLength())); }

    public boolean isRaw() { return raw != null; }

    private static void check(long[] shape, int n) {
        if (TensorData.elements(shape) != n) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + TensorData.elements(shape) + " elements, got " + n);
    }

    @Override
    public String toString() { return "Value[" + dtype.irName() + " " + Arrays.toString(shape) + "]"; }
}
