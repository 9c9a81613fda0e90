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
        if ((t == DType.Q8_0 || t == DType.Q4_0) && K % 32 == 0) return packLevels(w, t, N, K);
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

    /** Bytes of the f32 tiles of an {@code [N, K]} matrix (the levels form of Q8_0 and Q4_0 adds K / 32 scales a row, {@link #packLevels}). */
    public static long bytes(long N, long K) {
        return (N + ROWS - 1) / ROWS * ROWS * K * 4;
    }

    /**
     * A Q8_0 or Q4_0 matrix keeps its blocks' structure: the tiles hold the integer levels (as
     * floats; Q4_0's minus 8), then per tile and block the 16 rows' scales, then one flag: 1 where
     * llama.cpp's x86 CPU backend multiplies this matrix with its repacked Q4_0 8x8 kernels (Q4_0
     * with rows a multiple of 8, {@code ggml_repack_get_optimal_repack_type}), 0 where
     * {@code ggml_vec_dot_*_q8_0} does. {@link #tileLevels} follows either; the values are still
     * exactly {@code d q}.
     */
    static float[] packLevels(MemorySegment w, DType t, int N, int K) {
        int tiles = (N + ROWS - 1) / ROWS, blocks = K / 32;
        int scales = tiles * ROWS * K;
        float[] p = new float[scales + tiles * blocks * ROWS + 1];
        long rowBytes = t.bytesFor(K), blockBytes = t.bytesFor(32);
        for (int r = 0; r < N; r++) {
            int base = (r / ROWS) * ROWS * K + r % ROWS, sbase = scales + (r / ROWS) * blocks * ROWS + r % ROWS;
            for (int b = 0; b < blocks; b++) {
                long off = r * rowBytes + blockBytes * b;
                p[sbase + b * ROWS] = Vec.f16(w, off);
                for (int j = 0; j < 32; j++) {
                    int q = t == DType.Q8_0 ? w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, off + 2 + j)
                            : ((w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, off + 2 + (j & 15)) >> (j < 16 ? 0 : 4)) & 15) - 8;
                    p[base + ROWS * (32 * b + j)] = q;
                }
            }
        }
        p[p.length - 1] = t == DType.Q4_0 && N % 8 == 0 ? 1f : 0f;
        return p;
    }

    /** Whether {@code w} is the packed levels form ({@link #packLevels}) of an {@code [N, K]} matrix. */
    static boolean isLevels(float[] w, int N, int K) {
        int tiles = (N + ROWS - 1) / ROWS;
        return K % 32 == 0 && w.length == tiles * ROWS * K + tiles * (K / 32) * ROWS + 1;
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
        if (isLevels(w, N, K)) {
            matmulLevels(pool, w, Q8Act.of(act, x0, xo0, K, T), K, N, T, out, oo, outStride, res, ro);
            return;
        }
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
        if (isLevels(wg, N, K) || isLevels(wu, N, K)) {
            // each product as its own matmul computes it (llama.cpp multiplies gate and up separately); x rounded once
            // for the products with levels (a mixed file may pack only one of the two as levels)
            float[] g = new float[T * N], u = new float[T * N];
            Q8Act xq = Q8Act.of(act, x0, xo0, K, T);
            if (isLevels(wg, N, K)) matmulLevels(pool, wg, xq, K, N, T, g, 0, N, null, 0);
            else matmul(pool, wg, act, K, N, x0, xo0, T, g, 0, N, null, 0);
            if (isLevels(wu, N, K)) matmulLevels(pool, wu, xq, K, N, T, u, 0, N, null, 0);
            else matmul(pool, wu, act, K, N, x0, xo0, T, u, 0, N, null, 0);
            for (int s = 0; s < T; s++) Ops.gatedAct(g, s * N, u, s * N, N, gelu, out, oo + s * N);
            return;
        }
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

    /** {@link #matmul} on packed levels ({@link #packLevels}) with activations already rounded ({@link Q8Act}). */
    private static void matmulLevels(WorkerPool pool, float[] w, Q8Act xq, int K, int N, int T, float[] out, int oo, int outStride, float[] res, int ro) {
        int tiles = (N + ROWS - 1) / ROWS;
        pool.run(tiles, Math.max(1, GRAIN_WORK / Math.max(1, ROWS * K * T)), (lo, hi, wk) -> {
            float[] acc = Scratch.floats(Scratch.PACKED, ROWS);
            for (int tile = lo; tile < hi; tile++) {
                int rows = Math.min(ROWS, N - tile * ROWS);
                for (int s = 0; s < T; s++) {
                    tileLevels(w, tile, tiles, K, xq, s, acc, 0);
                    int o = oo + s * outStride + tile * ROWS, r0 = ro + s * outStride + tile * ROWS;
                    for (int r = 0; r < rows; r++) out[o + r] = acc[r] + (res == null ? 0f : res[r0 + r]);
                }
            }
        });
    }

    /**
     * Activations for a product with packed levels ({@link #packLevels}): with {@code act} Q8_0, llama.cpp's rounding
     * ({@link ActQuant#q8_0}: integer levels and per-block half scales); with F32, the values
     * themselves and scales of 1.
     */
    record Q8Act(float[] x, int xo, int K, float[] d) {
        static Q8Act of(DType act, float[] x0, int xo0, int K, int T) {
            int blocks = K / 32;
            float[] d = new float[T * blocks];
            if (act == DType.F32) {
                java.util.Arrays.fill(d, 1f);
                return new Q8Act(x0, xo0, K, d);
            }
            if (act != DType.Q8_0) throw new IllegalArgumentException("packed Q8_0/Q4_0 weights take f32 or q8_0 activations, not " + act);
            float[] q = new float[T * K];
            for (int s = 0; s < T; s++) ActQuant.q8_0(x0, xo0 + s * K, K, q, s * K, d, s * blocks);
            return new Q8Act(q, 0, K, d);
        }
    }

    /**
     * One levels tile (16 rows) times token {@code s}: {@code acc[ao + r]}, as llama.cpp's x86 kernels
     * compute a row. {@code ggml_vec_dot_q8_0_q8_0} / {@code _q4_0_q8_0} (and the tinyBLAS prompt
     * kernel): each block's 32 products in eight groups of four summed exactly (integers), each
     * group's sum times {@code d_w d_x} accumulated by FMA in its own accumulator across the blocks,
     * the eight added as its {@code hsum_float_8} does: ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)).
     * The repacked Q4_0 8x8 kernels (flag 1): each block's whole sum (exact) times {@code d_w d_x},
     * accumulated by FMA in one accumulator. Vector lanes are the tile's rows.
     */
    static void tileLevels(float[] w, int tile, int tiles, int K, Q8Act a, int s, float[] acc, int ao) {
        int base = tile * ROWS * K, sbase = tiles * ROWS * K + tile * (K / 32) * ROWS;
        boolean wholeBlocks = w[w.length - 1] != 0f;
        float[] x = a.x();
        int xo = a.xo() + s * K, db = s * (K / 32);
        for (int l = 0; l < ROWS; l += LANES) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (int b = 0, blocks = K / 32; b < blocks; b++) {
                FloatVector d = FloatVector.fromArray(F, w, sbase + b * ROWS + l).mul(a.d()[db + b]);
                int wb = base + ROWS * 32 * b + l, xb = xo + 32 * b;
                FloatVector g0 = group(w, wb, x, xb), g1 = group(w, wb + 4 * ROWS, x, xb + 4);
                FloatVector g2 = group(w, wb + 8 * ROWS, x, xb + 8), g3 = group(w, wb + 12 * ROWS, x, xb + 12);
                FloatVector g4 = group(w, wb + 16 * ROWS, x, xb + 16), g5 = group(w, wb + 20 * ROWS, x, xb + 20);
                FloatVector g6 = group(w, wb + 24 * ROWS, x, xb + 24), g7 = group(w, wb + 28 * ROWS, x, xb + 28);
                if (wholeBlocks) {
                    // integer sums: exact in any order
                    a0 = g0.add(g1).add(g2.add(g3)).add(g4.add(g5).add(g6.add(g7))).fma(d, a0);
                } else {
                    a0 = d.fma(g0, a0);
                    a1 = d.fma(g1, a1);
                    a2 = d.fma(g2, a2);
                    a3 = d.fma(g3, a3);
                    a4 = d.fma(g4, a4);
                    a5 = d.fma(g5, a5);
                    a6 = d.fma(g6, a6);
                    a7 = d.fma(g7, a7);
                }
            }
            (wholeBlocks ? a0 : a0.add(a4).add(a2.add(a6)).add(a1.add(a5).add(a3.add(a7)))).intoArray(acc, ao + l);
        }
    }

    /** Four consecutive levels of each row times four activations: exact when both are levels (integer sums below 2^24). */
    private static FloatVector group(float[] w, int wb, float[] x, int xb) {
        FloatVector g = FloatVector.fromArray(F, w, wb).mul(x[xb]);
        g = FloatVector.fromArray(F, w, wb + ROWS).fma(FloatVector.broadcast(F, x[xb + 1]), g);
        g = FloatVector.fromArray(F, w, wb + 2 * ROWS).fma(FloatVector.broadcast(F, x[xb + 2]), g);
        return FloatVector.fromArray(F, w, wb + 3 * ROWS).fma(FloatVector.broadcast(F, x[xb + 3]), g);
    }
}
