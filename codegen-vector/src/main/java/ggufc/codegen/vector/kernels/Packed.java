package ggufc.codegen.vector.kernels;

import static ggufc.codegen.vector.kernels.Vec.F;
import static ggufc.codegen.vector.kernels.Vec.LANES;

import ggufc.ir.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * Small matrices (any dtype, decoded to f32) repacked at load time into row tiles, for models so narrow (stories260K's
 * 64-wide rows) that a row-by-row dot product spends more on its horizontal sum and per-row setup
 * than on multiply-adds. A weight {@code w[N, K]} becomes a heap array of {@code ceil(N / 16)}
 * tiles of {@code K x 16} floats: element {@code (r, k)} at {@code (r / 16) * 16 K + 16 k + r % 16}
 * (rows past N are zero). A tile times x is then {@code K} FMAs of a 16-row weight vector with a
 * broadcast activation, accumulating 16 outputs at once: no horizontal sums, no bounds checks on a
 * mapped segment. The repacked copy replaces the mapped rows (which are then never touched).
 */
public final class Packed {
    private Packed() {}

    /** Rows per tile. */
    public static final int ROWS = 16;

    /** The tiles of the f32 matrix {@code w[N, K]} (row-major bytes at {@code w}). */
    public static float[] pack(MemorySegment w, int N, int K) {
        return pack(w, DType.F32, N, K);
    }

    /**
     * The tiles of the matrix {@code w[N, K]} stored as {@code t} (any dtype {@link RowDecode}
     * decodes, bit-exact with BlockCodecs): its exact f32 values, so a packed matmul computes what
     * the block kernels compute, {@code x . dequant(w)}.
     */
    public static float[] pack(MemorySegment w, DType t, int N, int K) {
        int tiles = (N + ROWS - 1) / ROWS;
        float[] p = new float[tiles * ROWS * K], row = new float[K];
        long rowBytes = t.bytesFor(K);
        for (int r = 0; r < N; r++) {
            RowDecode.decode(t, w, r * rowBytes, row, 0, K);
            int base = (r / ROWS) * ROWS * K + r % ROWS;
            for (int k = 0; k < K; k++) p[base + ROWS * k] = row[k];
        }
        return p;
    }

    /** Bytes of the packed form of an {@code [N, K]} matrix. */
    public static long bytes(long N, long K) {
        return (N + ROWS - 1) / ROWS * ROWS * K * 4;
    }

    private static final int GRAIN_WORK = 1 << 16;

    /** {@code out[t, n] = res[t, n] + x[t] . w[n]} as {@link MatMul#matmul} (layouts alike), w packed. */
    public static void matmul(WorkerPool pool, float[] w, int K, int N, float[] x, int xo, int T, float[] out, int oo, int outStride,
                              float[] res, int ro) {
        matmul(pool, w, DType.F32, K, N, x, xo, T, out, oo, outStride, res, ro);
    }

    /** As above with the activations rounded to {@code act} first (see {@link MatMul#matmul(WorkerPool, DType, DType, MemorySegment, int, int, float[], int, int, float[], int, int, float[], int)}). */
    public static void matmul(WorkerPool pool, float[] w, DType act, int K, int N, float[] x0, int xo0, int T, float[] out, int oo, int outStride,
                              float[] res, int ro) {
        float[] x = act == DType.F32 ? x0 : ActQuant.roundTrip(act, x0, xo0, K, T, Scratch.floats(Scratch.ACT_LEVELS, T * K));
        int xo = act == DType.F32 ? xo0 : 0;
        int tiles = (N + ROWS - 1) / ROWS;
        int grain = Math.max(1, GRAIN_WORK / Math.max(1, ROWS * K * T));
        pool.run(tiles, grain, (lo, hi, wk) -> {
            float[] acc = Scratch.floats(Scratch.PACKED, 2 * 4 * ROWS);
            for (int tile = lo; tile < hi; tile++) {
                int rows = Math.min(ROWS, N - tile * ROWS);
                for (int s = 0; s < T; s += 4) {
                    int ts = Math.min(4, T - s);
                    tile(w, tile, K, x, xo + s * K, ts, acc, 0);
                    for (int u = 0; u < ts; u++) {
                        int o = oo + (s + u) * outStride + tile * ROWS, r0 = ro + (s + u) * outStride + tile * ROWS;
                        for (int r = 0; r < rows; r++) out[o + r] = acc[u * ROWS + r] + (res == null ? 0f : res[r0 + r]);
                    }
                }
            }
        });
    }

    /** {@code out[t, n] = act(x[t] . wg[n]) * (x[t] . wu[n])} with act SiLU or GELU, both weights packed. */
    public static void glu(WorkerPool pool, float[] wg, float[] wu, int K, int N, float[] x, int xo, int T, float[] out, int oo, boolean gelu) {
        glu(pool, wg, wu, DType.F32, K, N, x, xo, T, out, oo, gelu);
    }

    /** As above with the activations rounded to {@code act} first. */
    public static void glu(WorkerPool pool, float[] wg, float[] wu, DType act, int K, int N, float[] x0, int xo0, int T, float[] out, int oo, boolean gelu) {
        float[] x = act == DType.F32 ? x0 : ActQuant.roundTrip(act, x0, xo0, K, T, Scratch.floats(Scratch.ACT_LEVELS, T * K));
        int xo = act == DType.F32 ? xo0 : 0;
        int tiles = (N + ROWS - 1) / ROWS;
        int grain = Math.max(1, GRAIN_WORK / Math.max(1, 2 * ROWS * K * T));
        pool.run(tiles, grain, (lo, hi, wk) -> {
            float[] acc = Scratch.floats(Scratch.PACKED, 2 * 4 * ROWS);
            for (int tile = lo; tile < hi; tile++) {
                int rows = Math.min(ROWS, N - tile * ROWS);
                for (int s = 0; s < T; s += 4) {
                    int ts = Math.min(4, T - s);
                    tile(wg, tile, K, x, xo + s * K, ts, acc, 0);
                    tile(wu, tile, K, x, xo + s * K, ts, acc, 4 * ROWS);
                    for (int u = 0; u < ts; u++) Ops.gatedAct(acc, u * ROWS, acc, 4 * ROWS + u * ROWS, rows, gelu, out, oo + (s + u) * N + tile * ROWS);
                }
            }
        });
    }

    /**
     * One tile times {@code ts} (1..4) activation rows from {@code x[xo]} (row stride K): results in
     * {@code acc[ao + u * 16 + r]}.
     */
    static void tile(float[] w, int tile, int K, float[] x, int xo, int ts, float[] acc, int ao) {
        int base = tile * ROWS * K;
        if (!Vec.ENABLED) {
            for (int u = 0; u < ts; u++) {
                for (int r = 0; r < ROWS; r++) {
                    float s = 0;
                    for (int k = 0; k < K; k++) s += w[base + ROWS * k + r] * x[xo + u * K + k];
                    acc[ao + u * ROWS + r] = s;
                }
            }
            return;
        }
        for (int l = 0; l < ROWS; l += LANES) {
            if (ts == 1) {
                // one token: four independent chains over k hide the FMA latency
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                int k = 0, b = base + l;
                for (; k + 4 <= K; k += 4, b += 4 * ROWS) {
                    a0 = FloatVector.fromArray(F, w, b).fma(FloatVector.broadcast(F, x[xo + k]), a0);
                    a1 = FloatVector.fromArray(F, w, b + ROWS).fma(FloatVector.broadcast(F, x[xo + k + 1]), a1);
                    a2 = FloatVector.fromArray(F, w, b + 2 * ROWS).fma(FloatVector.broadcast(F, x[xo + k + 2]), a2);
                    a3 = FloatVector.fromArray(F, w, b + 3 * ROWS).fma(FloatVector.broadcast(F, x[xo + k + 3]), a3);
                }
                for (; k < K; k++, b += ROWS) a0 = FloatVector.fromArray(F, w, b).fma(FloatVector.broadcast(F, x[xo + k]), a0);
                a0.add(a1).add(a2.add(a3)).intoArray(acc, ao + l);
            } else {
                // up to four tokens share each weight load
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                int x1 = xo + Math.min(1, ts - 1) * K, x2 = xo + Math.min(2, ts - 1) * K, x3 = xo + Math.min(3, ts - 1) * K;
                for (int k = 0, b = base + l; k < K; k++, b += ROWS) {
                    FloatVector wv = FloatVector.fromArray(F, w, b);
                    a0 = wv.fma(FloatVector.broadcast(F, x[xo + k]), a0);
                    a1 = wv.fma(FloatVector.broadcast(F, x[x1 + k]), a1);
                    a2 = wv.fma(FloatVector.broadcast(F, x[x2 + k]), a2);
                    a3 = wv.fma(FloatVector.broadcast(F, x[x3 + k]), a3);
                }
                a0.intoArray(acc, ao + l);
                if (ts > 1) a1.intoArray(acc, ao + ROWS + l);
                if (ts > 2) a2.intoArray(acc, ao + 2 * ROWS + l);
                if (ts > 3) a3.intoArray(acc, ao + 3 * ROWS + l);
            }
        }
    }
}
