package ggufc.codegen.vector.kernels;

import ggufc.ir.DType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Activation quantization as llama.cpp does it before an integer dot product
 * ({@code quantize_row_q8_0}): per block of 32, {@code d = max|x| / 127}, levels
 * {@code round(x / d)} (half away from zero), and d stored as a half. The levels are kept as
 * floats (small integers, so block products stay exact) with the half-rounded scales beside them;
 * the bytes this describes equal {@code BlockCodecs.quantize(Q8_0, ...)}.
 */
public final class ActQuant {
    private ActQuant() {}

    /** Weight dtypes whose llama.cpp dot product takes Q8_0 activations and that have an exact vector kernel for them. */
    public static boolean q8_0Kernel(DType weight) {
        return weight == DType.Q8_0 || weight == DType.Q4_0 || weight == DType.Q5_0;
    }

    /** Levels of {@code x[xo .. xo+k)} into {@code q[qo ..]}, block scales into {@code d[dOff ..]}. */
    public static void q8_0(float[] x, int xo, int k, float[] q, int qo, float[] d, int dOff) {
        for (int b = 0; b < k / 32; b++) {
            int o = xo + 32 * b;
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                float a = Math.abs(x[o + j]);
                amax = amax > a ? amax : a;
            }
            float scale = amax / 127f;
            float id = scale != 0 ? 1.0f / scale : 0.0f;
            for (int j = 0; j < 32; j++) q[qo + 32 * b + j] = roundHalfAway(x[o + j] * id);
            d[dOff + b] = Float.float16ToFloat(Float.floatToFloat16(scale));
        }
    }

    /** C's roundf (exact for floats: the addition is done in double). */
    static float roundHalfAway(float v) {
        return (float) (v < 0 ? -Math.floor(-(double) v + 0.5) : Math.floor((double) v + 0.5));
    }

    /**
     * Rows {@code x[xo + r k ..]} ({@code rows} of {@code k}) rounded through {@code to} and decoded
     * back, into {@code dst[r k ..]} (returned): {@code dequant(quantize(x, to))}. Q8_0 here
     * ({@code level * d}, what BlockCodecs decodes), other types through BlockCodecs.
     */
    public static float[] roundTrip(DType to, float[] x, int xo, int k, int rows, float[] dst) {
        roundTrip(to, x, xo, k, rows, dst, 0);
        return dst;
    }

    /** {@link #roundTrip} with the rows shared among the pool's threads (a prompt rounds T rows). */
    public static float[] roundTrip(WorkerPool pool, DType to, float[] x, int xo, int k, int rows, float[] dst) {
        if (rows < 2 || pool.threads() == 1) return roundTrip(to, x, xo, k, rows, dst);
        // each slice writes its own rows of dst; the scratch below is per thread
        pool.run(rows, Math.max(1, ROW_GRAIN / Math.max(1, k)), (lo, hi, wk) -> roundTrip(to, x, xo + lo * k, k, hi - lo, dst, lo * k));
        return dst;
    }

    /** Elements below which rows of a round trip are not worth a thread handoff. */
    private static final int ROW_GRAIN = 1 << 14;

    private static void roundTrip(DType to, float[] x, int xo, int k, int rows, float[] dst, int dOff) {
        for (int r = 0; r < rows; r++) roundTripRow(to, x, xo + r * k, k, dst, dOff + r * k);
    }

    /** One row {@code x[xo .. xo+k)} rounded through {@code to} and decoded back into {@code dst[dOff ..]}. */
    private static void roundTripRow(DType to, float[] x, int xo, int k, float[] dst, int dOff) {
        if (to == DType.Q8_0 && k % 32 == 0) {
            if (Vec.ENABLED && 32 % Vec.LANES == 0) {
                roundTripQ8_0(x, xo, k, dst, dOff);
                return;
            }
            float[] d = SCALES.get();
            if (d.length < k / 32) SCALES.set(d = new float[k / 32]);
            q8_0(x, xo, k, dst, dOff, d, 0);
            for (int i = 0; i < k; i++) dst[dOff + i] *= d[i >> 5];
            return;
        }
        long bytes = to.bytesFor(k);
        java.lang.foreign.MemorySegment tmp = BLOCKS.get();
        if (tmp.byteSize() < bytes) BLOCKS.set(tmp = java.lang.foreign.Arena.ofAuto().allocate(bytes, 8));
        ggufc.ir.quant.BlockCodecs.quantize(to, x, xo, k, tmp, 0);
        ggufc.ir.quant.BlockCodecs.dequantize(to, tmp, 0, dst, dOff, k);
    }

    /**
     * One row to Q8_0 and back with vectors: the same values as {@link #q8_0} times its scales, bit
     * for bit. {@code roundf(v)} (half away from zero) is computed exactly as {@code t = trunc(v)}
     * plus one step toward v's sign where {@code |v - t| >= 0.5} ({@code v - t} is exact for floats).
     */
    static void roundTripQ8_0(float[] x, int xo, int k, float[] dst, int dOff) {
        for (int o = 0; o < k; o += 32) {
            FloatVector m = FloatVector.fromArray(Vec.F, x, xo + o).abs();
            for (int i = Vec.LANES; i < 32; i += Vec.LANES) m = m.max(FloatVector.fromArray(Vec.F, x, xo + o + i).abs());
            float amax = m.reduceLanes(VectorOperators.MAX);
            float scale = amax / 127f;
            float id = scale != 0 ? 1.0f / scale : 0.0f;
            float dh = Float.float16ToFloat(Float.floatToFloat16(scale));
            for (int i = 0; i < 32; i += Vec.LANES) {
                FloatVector v = FloatVector.fromArray(Vec.F, x, xo + o + i).mul(id);
                FloatVector t = (FloatVector) v.convert(VectorOperators.F2I, 0).convert(VectorOperators.I2F, 0);
                FloatVector frac = v.sub(t);
                t = t.add(1f, frac.compare(VectorOperators.GE, 0.5f)).sub(1f, frac.compare(VectorOperators.LE, -0.5f));
                t.mul(dh).intoArray(dst, dOff + o + i);
            }
        }
    }

    private static final ThreadLocal<float[]> SCALES = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<java.lang.foreign.MemorySegment> BLOCKS = ThreadLocal.withInitial(() -> java.lang.foreign.MemorySegment.NULL);

    /** {@code x} replaced by its Q8_0 rounding ({@code level * d}), row by row; {@code k} per row, {@code rows} rows. */
    public static float[] roundTrip(float[] x, int xo, int k, int rows) {
        float[] q = new float[k * rows], d = new float[k / 32 * rows];
        for (int r = 0; r < rows; r++) q8_0(x, xo + r * k, k, q, r * k, d, r * (k / 32));
        for (int i = 0; i < q.length; i++) q[i] *= d[i / 32];
        return q;
    }
}
