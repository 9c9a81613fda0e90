package ggufc.codegen.vector.kernels;

import ggufc.ir.DType;
import ggufc.ir.quant.BlockCodecs;
import java.lang.foreign.MemorySegment;

/**
 * The scalar fallback of every weight-row kernel: decode the row with {@link BlockCodecs} (the
 * bit-exact definition of each block layout) into a per-thread scratch row, then a plain float dot
 * product. Used where no vector shape is usable and as the reference the vector kernels are tested
 * against; it works for every dtype BlockCodecs decodes, so it also serves the rare ones (Q2_K,
 * Q3_K, Q8_1, Q8_K) that have no vector kernel.
 */
public final class ScalarDot {
    private ScalarDot() {}

    private static final ThreadLocal<float[][]> ROW = ThreadLocal.withInitial(() -> new float[][] {new float[0]});

    /** A per-thread scratch array of at least {@code n} floats. */
    static float[] scratch(int n) {
        float[][] h = ROW.get();
        if (h[0].length < n) h[0] = new float[n];
        return h[0];
    }

    public static float dot(DType t, MemorySegment w, long off, float[] x, int xo, int k) {
        float[] row = scratch(k);
        BlockCodecs.dequantize(t, w, off, row, 0, k);
        float s = 0;
        for (int i = 0; i < k; i++) s += row[i] * x[xo + i];
        return s;
    }
}
