package ggufc.codegen.vector.kernels;

import static ggufc.codegen.vector.kernels.Vec.F;
import static ggufc.codegen.vector.kernels.Vec.LANES;
import static jdk.incubator.vector.VectorOperators.ADD;

import ggufc.ir.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * {@code out[t, n] = res[t, n] + sum_k x[t, k] w[n, k]} for a weight {@code w[N, K]} in any GGUF
 * dtype, parallel over weight rows. One token ({@code T = 1}, decode) is a matrix-vector product
 * whose rows are dotted straight from the blocks ({@link Dot}); several tokens (a prompt) decode a
 * tile of rows to f32 once ({@link RowDecode}) and multiply it with every token in 4 x 4 register
 * blocks, so the decode cost is shared by all tokens.
 *
 * <p>Layouts: activation row t at {@code x[xo + t K]}, output row t at {@code out[oo + t outStride]}
 * (a stride larger than N writes a column slice, as a fused multi-weight matmul does), residual
 * row t at {@code res[ro + t outStride]} ({@code res} may be null).
 */
public final class MatMul {
    private MatMul() {}

    /** Rows decoded per tile in the prompt path. */
    static final int TILE = 16;

    public static void matmul(WorkerPool pool, DType t, MemorySegment w, int K, int N, float[] x, int xo, int T,
                              float[] out, int oo, int outStride, float[] res, int ro) {
        matmul(pool, t, DType.F32, w, K, N, x, xo, T, out, oo, outStride, res, ro);
    }

    /**
     * As above with the activations first rounded to {@code act}: F32 (none) or Q8_0 (llama.cpp's
     * activation type for Q4_0/Q5_0/Q8_0 weights, see {@link ActQuant}): the result is
     * {@code dequant(quantize(x, act)) . w}, the meaning of a matmul with a quantized activation.
     */
    public static void matmul(WorkerPool pool, DType t, DType act, MemorySegment w, int K, int N, float[] x, int xo, int T,
                              float[] out, int oo, int outStride, float[] res, int ro) {
        long rowBytes = t.bytesFor(K);
        if (act != DType.F32) {
            if (act != DType.Q8_0) throw new UnsupportedOperationException("activation type " + act + " (vector target: f32 or q8_0)");
            if (T == 1 && Vec.ENABLED && ActQuant.q8_0Kernel(t)) {
                float[] q = new float[K], xd = new float[K / 32];
                ActQuant.q8_0(x, xo, K, q, 0, xd, 0);
                float[] xs = sums(t, q, 0, K);
                pool.run(N, 4, (lo, hi, wk) -> rows(t, w, rowBytes, K, q, 0, xs, xd, out, oo, res, ro, lo, hi));
                return;
            }
            x = ActQuant.roundTrip(x, xo, K, T);
            xo = 0;
        }
        float[] xa = x;
        int xoa = xo;
        if (T == 1) {
            float[] xs = sums(t, xa, xoa, K);
            pool.run(N, 4, (lo, hi, wk) -> rows(t, w, rowBytes, K, xa, xoa, xs, null, out, oo, res, ro, lo, hi));
        } else {
            pool.run(N, TILE, (lo, hi, wk) -> tiles(t, w, rowBytes, K, xa, xoa, T, out, oo, outStride, res, ro, lo, hi));
        }
    }

    /**
     * Gated linear unit: {@code out[t, n] = act(x . wg[n]) * (x . wu[n])} with act = SiLU or GELU,
     * one pass over x for both weights.
     */
    public static void glu(WorkerPool pool, DType tg, MemorySegment wg, DType tu, MemorySegment wu, int K, int N,
                           float[] x, int xo, int T, float[] out, int oo, boolean gelu) {
        glu(pool, tg, wg, tu, wu, DType.F32, K, N, x, xo, T, out, oo, gelu);
    }

    /** As above with the activations rounded to {@code act} (F32 or Q8_0) for both products. */
    public static void glu(WorkerPool pool, DType tg, MemorySegment wg, DType tu, MemorySegment wu, DType act, int K, int N,
                           float[] x, int xo, int T, float[] out, int oo, boolean gelu) {
        long gBytes = tg.bytesFor(K), uBytes = tu.bytesFor(K);
        if (act != DType.F32) {
            if (act != DType.Q8_0) throw new UnsupportedOperationException("activation type " + act + " (vector target: f32 or q8_0)");
            if (T == 1 && Vec.ENABLED && ActQuant.q8_0Kernel(tg) && ActQuant.q8_0Kernel(tu)) {
                float[] q = new float[K], xd = new float[K / 32];
                ActQuant.q8_0(x, xo, K, q, 0, xd, 0);
                float[] xsg = sums(tg, q, 0, K), xsu = sums(tu, q, 0, K);
                pool.run(N, 4, (lo, hi, wk) -> {
                    float[] up = new float[hi - lo];
                    rows(tu, wu, uBytes, K, q, 0, xsu, xd, up, -lo, null, 0, lo, hi);
                    rows(tg, wg, gBytes, K, q, 0, xsg, xd, out, oo, null, 0, lo, hi);
                    for (int n = lo; n < hi; n++) out[oo + n] = Ops.act(out[oo + n], gelu) * up[n - lo];
                });
                return;
            }
            x = ActQuant.roundTrip(x, xo, K, T);
            xo = 0;
        }
        float[] xa = x;
        int xoa = xo;
        if (T == 1) {
            float[] xsg = sums(tg, xa, xoa, K), xsu = tg == tu ? xsg : sums(tu, xa, xoa, K);
            pool.run(N, 4, (lo, hi, wk) -> {
                float[] up = new float[hi - lo];
                rows(tu, wu, uBytes, K, xa, xoa, xsu, null, up, -lo, null, 0, lo, hi);
                rows(tg, wg, gBytes, K, xa, xoa, xsg, null, out, oo, null, 0, lo, hi);
                for (int n = lo; n < hi; n++) out[oo + n] = Ops.act(out[oo + n], gelu) * up[n - lo];
            });
        } else {
            pool.run(N, TILE, (lo, hi, wk) -> {
                float[] up = new float[T * TILE];
                for (int r0 = lo; r0 < hi; r0 += TILE) {
                    int r1 = Math.min(hi, r0 + TILE);
                    tiles(tu, wu, uBytes, K, xa, xoa, T, up, -r0, TILE, null, 0, r0, r1);
                    tiles(tg, wg, gBytes, K, xa, xoa, T, out, oo, N, null, 0, r0, r1);
                    for (int s = 0; s < T; s++) {
                        for (int n = r0; n < r1; n++) out[oo + s * N + n] = Ops.act(out[oo + s * N + n], gelu) * up[s * TILE + n - r0];
                    }
                }
            });
        }
    }

    /** Activation group sums the dtype's dot kernel needs (null if none). */
    static float[] sums(DType t, float[] x, int xo, int K) {
        int g = Dot.sumGroup(t);
        if (g == 0 || !Vec.ENABLED) return null;
        float[] xs = new float[K / g];
        Dot.groupSums(x, xo, K, g, xs);
        return xs;
    }

    /** Decode path: rows {@code [lo, hi)} of one token, {@code out[oo + n]}. */
    static void rows(DType t, MemorySegment w, long rowBytes, int K, float[] x, int xo, float[] xs, float[] xd, float[] out, int oo,
                     float[] res, int ro, int lo, int hi) {
        int n = lo;
        if (Vec.ENABLED && t == DType.Q8_0) {
            for (; n + 1 < hi; n += 2) Dot.q8_0x2(w, n * rowBytes, (n + 1) * rowBytes, x, xo, K, xd, out, oo + n);
            if (n < hi) out[oo + n] = Dot.q8_0(w, n++ * rowBytes, x, xo, K, xd);
        } else if (Vec.ENABLED && t == DType.Q4_0) {
            for (; n + 1 < hi; n += 2) Dot.q4_0x2(w, n * rowBytes, (n + 1) * rowBytes, x, xo, K, xs, xd, out, oo + n);
            if (n < hi) out[oo + n] = Dot.q4_0(w, n++ * rowBytes, x, xo, K, xs, xd);
        } else if (Vec.ENABLED && t == DType.Q5_0) {
            for (; n < hi; n++) out[oo + n] = Dot.q5_0(w, n * rowBytes, x, xo, K, xs, xd);
        } else if (xd != null) {
            throw new IllegalStateException("no quantized-activation kernel for " + t);
        }
        for (n = Math.max(n, lo); n < hi; n++) out[oo + n] = Dot.dot(t, w, n * rowBytes, x, xo, K, xs);
        if (res != null) for (n = lo; n < hi; n++) out[oo + n] += res[ro + n];
    }

    /** Prompt path: rows {@code [lo, hi)} for all T tokens, a tile of decoded rows at a time. */
    static void tiles(DType t, MemorySegment w, long rowBytes, int K, float[] x, int xo, int T, float[] out, int oo, int outStride,
                      float[] res, int ro, int lo, int hi) {
        float[] tile = tileScratch(TILE * K);
        for (int r0 = lo; r0 < hi; r0 += TILE) {
            int rows = Math.min(TILE, hi - r0);
            for (int r = 0; r < rows; r++) RowDecode.decode(t, w, (r0 + r) * rowBytes, tile, r * K, K);
            gemm(tile, rows, K, x, xo, T, out, oo + r0, outStride);
            if (res != null) {
                for (int s = 0; s < T; s++) for (int r = 0; r < rows; r++) out[oo + s * outStride + r0 + r] += res[ro + s * outStride + r0 + r];
            }
        }
    }

    private static final ThreadLocal<float[][]> TILE_SCRATCH = ThreadLocal.withInitial(() -> new float[][] {new float[0]});

    private static float[] tileScratch(int n) {
        float[][] h = TILE_SCRATCH.get();
        if (h[0].length < n) h[0] = new float[n];
        return h[0];
    }

    /** {@code out[oo + s outStride + r] = a[r] . x[s]} for r < rows, s < T (rows of a and x are K long). */
    public static void gemm(float[] a, int rows, int K, float[] x, int xo, int T, float[] out, int oo, int outStride) {
        int s = 0;
        if (Vec.ENABLED) {
            for (; s + 4 <= T; s += 4) {
                int r = 0;
                for (; r + 4 <= rows; r += 4) block4x4(a, r, K, x, xo + s * K, out, oo + s * outStride + r, outStride);
                for (; r < rows; r++) {
                    for (int u = 0; u < 4; u++) out[oo + (s + u) * outStride + r] = dotF32(a, r * K, x, xo + (s + u) * K, K);
                }
            }
        }
        for (; s < T; s++) {
            for (int r = 0; r < rows; r++) out[oo + s * outStride + r] = dotF32(a, r * K, x, xo + s * K, K);
        }
    }

    /** Four rows of a (from row r) times four activation rows (from x0): 16 results. */
    private static void block4x4(float[] a, int r, int K, float[] x, int x0, float[] out, int o, int stride) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        int a0 = r * K, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K, x1 = x0 + K, x2 = x1 + K, x3 = x2 + K;
        int i = 0;
        for (; i + LANES <= K; i += LANES) {
            FloatVector w0 = FloatVector.fromArray(F, a, a0 + i), w1 = FloatVector.fromArray(F, a, a1 + i);
            FloatVector w2 = FloatVector.fromArray(F, a, a2 + i), w3 = FloatVector.fromArray(F, a, a3 + i);
            FloatVector v = FloatVector.fromArray(F, x, x0 + i);
            c00 = w0.fma(v, c00); c10 = w1.fma(v, c10); c20 = w2.fma(v, c20); c30 = w3.fma(v, c30);
            v = FloatVector.fromArray(F, x, x1 + i);
            c01 = w0.fma(v, c01); c11 = w1.fma(v, c11); c21 = w2.fma(v, c21); c31 = w3.fma(v, c31);
            v = FloatVector.fromArray(F, x, x2 + i);
            c02 = w0.fma(v, c02); c12 = w1.fma(v, c12); c22 = w2.fma(v, c22); c32 = w3.fma(v, c32);
            v = FloatVector.fromArray(F, x, x3 + i);
            c03 = w0.fma(v, c03); c13 = w1.fma(v, c13); c23 = w2.fma(v, c23); c33 = w3.fma(v, c33);
        }
        float[] c = {
            c00.reduceLanes(ADD), c10.reduceLanes(ADD), c20.reduceLanes(ADD), c30.reduceLanes(ADD),
            c01.reduceLanes(ADD), c11.reduceLanes(ADD), c21.reduceLanes(ADD), c31.reduceLanes(ADD),
            c02.reduceLanes(ADD), c12.reduceLanes(ADD), c22.reduceLanes(ADD), c32.reduceLanes(ADD),
            c03.reduceLanes(ADD), c13.reduceLanes(ADD), c23.reduceLanes(ADD), c33.reduceLanes(ADD)};
        for (; i < K; i++) {
            for (int u = 0; u < 4; u++) {
                float xv = x[x0 + u * K + i];
                for (int q = 0; q < 4; q++) c[u * 4 + q] += a[a0 + q * K + i] * xv;
            }
        }
        for (int u = 0; u < 4; u++) for (int q = 0; q < 4; q++) out[o + u * stride + q] = c[u * 4 + q];
    }

    /** f32 dot of {@code a[ao..ao+K)} and {@code x[xo..xo+K)}. */
    public static float dotF32(float[] a, int ao, float[] x, int xo, int K) {
        int i = 0;
        float s = 0;
        if (Vec.ENABLED) {
            FloatVector acc = FloatVector.zero(F);
            for (; i + LANES <= K; i += LANES) acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, x, xo + i), acc);
            s = acc.reduceLanes(ADD);
        }
        for (; i < K; i++) s += a[ao + i] * x[xo + i];
        return s;
    }
}
