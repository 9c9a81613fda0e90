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

    /** Rows decoded per tile in the prompt path (a multiple of two vectors). */
    static final int TILE = 32;

    /** Multiply-adds below which a slice of rows is not worth a thread handoff (a few microseconds). */
    static final int GRAIN_WORK = 1 << 16;

    /**
     * Steps of 2 .. this many tokens run the decode kernels (matrix-vector, per token) on each slice
     * of rows in turn, the slice's weights read from memory once and from cache for the other tokens:
     * every row then has exactly a one-token step's values. 0 (the default) leaves them to the prompt
     * path. Set around a speculative verify step by {@link #rowwise}; read in the calling thread.
     */
    private static final ThreadLocal<int[]> ROWWISE = ThreadLocal.withInitial(() -> new int[1]);

    /** Runs {@code body} with steps of at most {@code maxTokens} tokens on the decode kernels, row by row. */
    public static void rowwise(int maxTokens, Runnable body) {
        int[] r = ROWWISE.get();
        int old = r[0];
        r[0] = maxTokens;
        try {
            body.run();
        } finally {
            r[0] = old;
        }
    }

    /** Whether a step of T tokens runs inside {@link #rowwise(int, Runnable)}: each row's values must be a one-token step's. */
    static boolean rowwise(int T) { return T > 1 && T <= ROWWISE.get()[0]; }

    /** {@link #sums} for token {@code s} of {@code T}, in an array of its own. */
    private static float[][] sumsPerToken(DType t, float[] x, int xo, int K, int T) {
        float[][] r = new float[T][];
        int g = Dot.sumGroup(t);
        if (g == 0 || !Vec.ENABLED) return r;
        for (int s = 0; s < T; s++) {
            r[s] = new float[K / g + LANES];
            Dot.groupSums(x, xo + s * K, K, g, r[s]);
        }
        return r;
    }

    /** Rows per parallel grain for one token over {@code K} columns (even, so row pairs stay whole). */
    static int decodeGrain(int K) {
        return Math.max(4, (GRAIN_WORK / Math.max(1, K) + 3) & ~3);
    }

    /** Rows per parallel grain for {@code T} tokens: whole tiles. */
    static int promptGrain(int K, int T) {
        int rows = GRAIN_WORK / Math.max(1, K * T);
        return Math.max(TILE, (rows + TILE - 1) / TILE * TILE);
    }

    public static void matmul(WorkerPool pool, DType t, MemorySegment w, int K, int N, float[] x, int xo, int T,
                              float[] out, int oo, int outStride, float[] res, int ro) {
        matmul(pool, t, DType.F32, w, K, N, x, xo, T, out, oo, outStride, res, ro);
    }

    /**
     * As above with the activations first rounded to {@code act} (F32: none; Q8_0, Q8_1, Q8_K, F16,
     * BF16: llama.cpp's activation types, see {@link ActQuant#roundTrip}): the result is
     * {@code dequant(quantize(x, act)) . w}, the meaning of a matmul with a quantized activation,
     * computed by the f32-activation kernels on the rounded values.
     */
    public static void matmul(WorkerPool pool, DType t, DType act, MemorySegment w, int K, int N, float[] x, int xo, int T,
                              float[] out, int oo, int outStride, float[] res, int ro) {
        NativeKernels nk = NativeKernels.active();
        if (nk != null && nk.handles(t, act, K)) {
            nk.matmul(pool, t, act, w, K, N, x, xo, T, out, oo, outStride, res, ro);
            return;
        }
        long rowBytes = t.bytesFor(K);
        if (act != DType.F32) {
            x = ActQuant.roundTrip(pool, act, x, xo, K, T, Scratch.floats(Scratch.ACT_LEVELS, T * K));
            xo = 0;
        }
        float[] xa = x;
        int xoa = xo;
        if (T == 1) {
            float[] xs = sums(t, xa, xoa, K, Scratch.ACT_SUMS);
            pool.run(N, decodeGrain(K), (lo, hi, wk) -> rows(t, w, rowBytes, K, xa, xoa, xs, null, out, oo, res, ro, lo, hi));
        } else if (rowwise(T) || multiToken(t, T)) {
            float[][] xs = sumsPerToken(t, xa, xoa, K, T);
            pool.run(N, decodeGrain(K), (lo, hi, wk) -> rowsTokens(t, w, rowBytes, K, xa, xoa, T, xs, out, oo, outStride, res, ro, lo, hi));
        } else {
            pool.run(N, promptGrain(K, T), (lo, hi, wk) -> tiles(t, w, rowBytes, K, xa, xoa, T, out, oo, outStride, res, ro, lo, hi));
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

    /** As above with the activations rounded to {@code act} (as {@link #matmul}) for both products. */
    public static void glu(WorkerPool pool, DType tg, MemorySegment wg, DType tu, MemorySegment wu, DType act, int K, int N,
                           float[] x, int xo, int T, float[] out, int oo, boolean gelu) {
        NativeKernels nk = NativeKernels.active();
        if (nk != null && nk.handles(tg, act, K) && nk.handles(tu, act, K)) {
            nk.glu(pool, tg, wg, tu, wu, act, K, N, x, xo, T, out, oo, gelu);
            return;
        }
        long gBytes = tg.bytesFor(K), uBytes = tu.bytesFor(K);
        if (act != DType.F32) {
            x = ActQuant.roundTrip(pool, act, x, xo, K, T, Scratch.floats(Scratch.ACT_LEVELS, T * K));
            xo = 0;
        }
        float[] xa = x;
        int xoa = xo;
        if (T == 1) {
            float[] xsg = sums(tg, xa, xoa, K, Scratch.ACT_SUMS), xsu = tg == tu ? xsg : sums(tu, xa, xoa, K, Scratch.ACT_SUMS2);
            pool.run(N, decodeGrain(2 * K), (lo, hi, wk) -> {
                float[] up = Scratch.floats(Scratch.GLU_UP, hi - lo);
                rows(tu, wu, uBytes, K, xa, xoa, xsu, null, up, -lo, null, 0, lo, hi);
                rows(tg, wg, gBytes, K, xa, xoa, xsg, null, out, oo, null, 0, lo, hi);
                Ops.gatedAct(out, oo + lo, up, 0, hi - lo, gelu, out, oo + lo);
            });
        } else if (rowwise(T) || (multiToken(tg, T) && multiToken(tu, T))) {
            float[][] xsg = sumsPerToken(tg, xa, xoa, K, T), xsu = tg == tu ? xsg : sumsPerToken(tu, xa, xoa, K, T);
            pool.run(N, decodeGrain(2 * K), (lo, hi, wk) -> {
                int n = hi - lo;
                float[] up = Scratch.floats(Scratch.GLU_UP, T * n);
                rowsTokens(tu, wu, uBytes, K, xa, xoa, T, xsu, up, -lo, n, null, 0, lo, hi);
                rowsTokens(tg, wg, gBytes, K, xa, xoa, T, xsg, out, oo, N, null, 0, lo, hi);
                for (int s = 0; s < T; s++) Ops.gatedAct(out, oo + s * N + lo, up, s * n, n, gelu, out, oo + s * N + lo);
            });
        } else {
            pool.run(N, promptGrain(2 * K, T), (lo, hi, wk) -> {
                float[] up = Scratch.floats(Scratch.GLU_UP, T * TILE);
                for (int r0 = lo; r0 < hi; r0 += TILE) {
                    int r1 = Math.min(hi, r0 + TILE);
                    tiles(tu, wu, uBytes, K, xa, xoa, T, up, -r0, TILE, null, 0, r0, r1);
                    tiles(tg, wg, gBytes, K, xa, xoa, T, out, oo, N, null, 0, r0, r1);
                    for (int s = 0; s < T; s++) Ops.gatedAct(out, oo + s * N + r0, up, s * TILE, r1 - r0, gelu, out, oo + s * N + r0);
                }
            });
        }
    }

    /** Activation group sums the dtype's dot kernel needs (null if none), in scratch {@code slot}. */
    static float[] sums(DType t, float[] x, int xo, int K, int slot) {
        int g = Dot.sumGroup(t);
        if (g == 0 || !Vec.ENABLED) return null;
        // LANES spare zeros at the end: vector kernels may read a whole vector from the last group
        float[] xs = Scratch.floats(slot, K / g + LANES);
        Dot.groupSums(x, xo, K, g, xs);
        java.util.Arrays.fill(xs, K / g, K / g + LANES, 0f);
        return xs;
    }

    /**
     * Prompt steps of 2 .. this many tokens run the multi-token decode kernels where the weight dtype
     * has them ({@link #multiToken}): below it, decoding every weight to f32 tiles (the prompt path)
     * costs more than the products. System property {@code ggufc.multitoken.max} (0: never; default:
     * per dtype).
     */
    static final int MULTI_TOKEN_MAX = Integer.getInteger("ggufc.multitoken.max", -1);

    /**
     * Whether a T-token step over a {@code t} weight runs {@link #rowsTokens}' multi-token kernels: up
     * to 12 tokens for Q8_0, 16 for Q4_0, where they cost less than the prompt path on a 1B-class
     * model on Zen 5 (Q8_0 at 4 / 8 / 12 / 16 tokens: 146 / 277 / 385 / 539 ms a step against the tiles'
     * 367 / 420 / 448 / 502; Q4_0: 108 / 208 / 283 / 366 against 344 / 408 / 417 / 441).
     */
    static boolean multiToken(DType t, int T) {
        if (T < 2 || !hasMultiTokenKernels(t)) return false;
        return T <= (MULTI_TOKEN_MAX >= 0 ? MULTI_TOKEN_MAX : t == DType.Q8_0 ? 12 : 16);
    }

    /** Whether {@code t} has the kernels that convert a weight block once for two or four tokens (16 float lanes). */
    private static boolean hasMultiTokenKernels(DType t) { return Vec.ENABLED && LANES == 16 && (t == DType.Q8_0 || t == DType.Q4_0); }

    /**
     * Rows {@code [lo, hi)} for T tokens (activation row s at {@code x[xo + s K]}, output row s at
     * {@code out[oo + s outStride]}): row pairs and groups of four (then two) tokens through the
     * kernels that convert each weight block once for all of them (Q8_0, Q4_0 with 16 lanes), a last
     * token and an odd last row through the one-token path ({@link #rows}). Every (row, token) value equals a
     * one-token step's ({@link #rows}), whatever T and the row range.
     */
    static void rowsTokens(DType t, MemorySegment w, long rowBytes, int K, float[] x, int xo, int T, float[][] xs,
                           float[] out, int oo, int outStride, float[] res, int ro, int lo, int hi) {
        int s = 0;
        if (hasMultiTokenKernels(t)) {
            int half = (hi - lo) / 2;
            int odd = lo + 2 * half;
            for (int g; (g = T - s >= 4 ? 4 : T - s >= 2 ? 2 : 0) > 0; s += g) {
                int xg = xo + s * K, og = oo + s * outStride;
                for (int i = 0; i < half; i++) {
                    int a = lo + i, b = a + half;
                    long wa = a * rowBytes, wb = b * rowBytes;
                    if (t == DType.Q8_0) {
                        if (g == 4) Dot.q8_0r2t4(w, wa, wb, x, xg, K, K, out, og + a, og + b, outStride);
                        else Dot.q8_0r2t2(w, wa, wb, x, xg, K, K, out, og + a, og + b, outStride);
                    } else {
                        if (g == 4) Dot.q4_0r2t4(w, wa, wb, x, xg, K, K, out, og + a, og + b, outStride);
                        else Dot.q4_0r2t2(w, wa, wb, x, xg, K, K, out, og + a, og + b, outStride);
                    }
                }
                for (int u = 0; u < g; u++) {
                    int ou = og + u * outStride, ru = ro + (s + u) * outStride;
                    if (odd < hi) rows(t, w, rowBytes, K, x, xg + u * K, xs[s + u], null, out, ou, res, ru, odd, hi);
                    if (res != null) for (int n = lo; n < odd; n++) out[ou + n] += res[ru + n];
                }
            }
        }
        for (; s < T; s++) rows(t, w, rowBytes, K, x, xo + s * K, xs[s], null, out, oo + s * outStride, res, res == null ? ro : ro + s * outStride, lo, hi);
    }

    /**
     * Decode path: rows {@code [lo, hi)} of one token, {@code out[oo + n]}. Multi-row kernels take
     * rows {@code lo + i}, {@code lo + q + i}, ... ({@code q} = a half or a quarter of the range):
     * sequential streams through the matrix, which the hardware prefetchers follow (adjacent rows
     * processed together jump every row and run at a fraction of the bandwidth).
     */
    static void rows(DType t, MemorySegment w, long rowBytes, int K, float[] x, int xo, float[] xs, float[] xd, float[] out, int oo,
                     float[] res, int ro, int lo, int hi) {
        int n = lo;
        int half = (hi - lo) / 2;
        if (Vec.ENABLED && t == DType.Q8_0 && xd == null) {
            int quarter = (hi - lo) / 4;
            for (int i = 0; i < quarter; i++) {
                int a = lo + i;
                Dot.q8_0x4(w, a * rowBytes, (a + quarter) * rowBytes, (a + 2 * quarter) * rowBytes, (a + 3 * quarter) * rowBytes, x, xo, K, out, oo + a, quarter);
            }
            for (n = lo + 4 * quarter; n < hi; n++) out[oo + n] = Dot.q8_0(w, n * rowBytes, x, xo, K, null);
        } else if (Vec.ENABLED && t == DType.Q8_0) {
            for (int i = 0; i < half; i++) {
                int a = lo + i, b = a + half;
                Dot.q8_0x2(w, a * rowBytes, b * rowBytes, x, xo, K, xd, out, oo + a, oo + b);
            }
            n = lo + 2 * half;
            if (n < hi) out[oo + n] = Dot.q8_0(w, n++ * rowBytes, x, xo, K, xd);
        } else if (Vec.ENABLED && t == DType.Q4_0 && xd == null && LANES == 16) {
            int quarter = (hi - lo) / 4;
            for (int i = 0; i < quarter; i++) {
                int a = lo + i;
                Dot.q4_0x4(w, a * rowBytes, quarter * rowBytes, x, xo, K, out, oo + a, quarter);
            }
            n = lo + 4 * quarter;
        } else if (Vec.ENABLED && t == DType.Q4_0) {
            for (int i = 0; i < half; i++) {
                int a = lo + i, b = a + half;
                Dot.q4_0x2(w, a * rowBytes, b * rowBytes, x, xo, K, xd, out, oo + a, oo + b);
            }
            n = lo + 2 * half;
            if (n < hi) out[oo + n] = Dot.q4_0(w, n++ * rowBytes, x, xo, K, xs, xd);
        } else if (Vec.ENABLED && t == DType.Q4_K) {
            float[] f = Scratch.floats(Scratch.K_FACTORS, 32);
            for (int i = 0; i < half; i++) {
                int a = lo + i, b = a + half;
                Dot.q4_kx2(w, a * rowBytes, b * rowBytes, x, xo, K, xs, out, oo + a, oo + b, f);
            }
            n = lo + 2 * half;
        } else if (Vec.ENABLED && t == DType.F32) {
            for (; n + 4 <= hi; n += 4) Dot.f32x4(w, n * rowBytes, rowBytes, x, xo, K, out, oo + n);
        } else if (Vec.ENABLED && t == DType.Q5_0) {
            for (; n < hi; n++) out[oo + n] = Dot.q5_0(w, n * rowBytes, x, xo, K, xs, xd);
        } else if (xd != null) {
            throw new IllegalStateException("no quantized-activation kernel for " + t);
        }
        for (; n < hi; n++) out[oo + n] = Dot.dot(t, w, n * rowBytes, x, xo, K, xs);
        if (res != null) for (n = lo; n < hi; n++) out[oo + n] += res[ro + n];
    }

    /**
     * Prompt path: rows {@code [lo, hi)} for all T tokens, a tile of {@link #TILE} rows at a time:
     * the rows are decoded to f32 once, transposed to {@code [K][TILE]}, then multiplied with every
     * token by {@link #outerTile} (no horizontal sums). Kernels accept any bounds.
     */
    static void tiles(DType t, MemorySegment w, long rowBytes, int K, float[] x, int xo, int T, float[] out, int oo, int outStride,
                      float[] res, int ro, int lo, int hi) {
        float[] rowsBuf = Scratch.floats(Scratch.TILE, TILE * K);
        float[] tileT = Scratch.floats(Scratch.TILE_T, TILE * K);
        for (int r0 = lo; r0 < hi; r0 += TILE) {
            int rows = Math.min(TILE, hi - r0);
            for (int r = 0; r < rows; r++) RowDecode.decode(t, w, (r0 + r) * rowBytes, rowsBuf, r * K, K);
            transpose(rowsBuf, rows, K, tileT);
            if (Vec.ENABLED && TILE % (2 * LANES) == 0) {
                outerTile(tileT, rows, K, x, xo, T, out, oo + r0, outStride, res, res == null ? 0 : ro + r0);
            } else {
                gemm(rowsBuf, rows, K, x, xo, T, out, oo + r0, outStride);
                if (res != null) {
                    for (int s = 0; s < T; s++) for (int r = 0; r < rows; r++) out[oo + s * outStride + r0 + r] += res[ro + s * outStride + r0 + r];
                }
            }
        }
    }

    /**
     * {@code dst[k * TILE + r] = src[r * K + k]}; rows past {@code rows} are zero. With 16 lanes and
     * K a multiple of 16, in 16 x 16 blocks transposed in registers (four stages of two-vector lane
     * selections); otherwise in blocks of 16 columns, so the destination lines stay in the L1 cache.
     */
    static void transpose(float[] src, int rows, int K, float[] dst) {
        if (Vec.ENABLED && LANES == 16 && K % 16 == 0) {
            int rows16 = (rows + 15) & ~15;
            java.util.Arrays.fill(src, rows * K, rows16 * K, 0f);
            for (int r0 = 0; r0 < rows16; r0 += 16) for (int k0 = 0; k0 < K; k0 += 16) transpose16(src, r0, K, k0, dst);
            for (int k = 0; k < K; k++) java.util.Arrays.fill(dst, k * TILE + rows16, k * TILE + TILE, 0f);
            return;
        }
        for (int k0 = 0; k0 < K; k0 += 16) {
            int k1 = Math.min(K, k0 + 16);
            for (int r = 0; r < rows; r++) {
                for (int k = k0, i = r * K + k0; k < k1; k++, i++) dst[k * TILE + r] = src[i];
            }
            for (int r = rows; r < TILE; r++) {
                for (int k = k0; k < k1; k++) dst[k * TILE + r] = 0f;
            }
        }
    }

    /** Lane selections of the 16 x 16 transpose: stage s swaps blocks of {@code 8 >> s} lanes between rows {@code 8 >> s} apart. */
    private static final FloatVector[] SWAP_LO = new FloatVector[4], SWAP_HI = new FloatVector[4];

    static {
        if (LANES == 16) {
            for (int s = 0; s < 4; s++) {
                int b = 8 >> s;
                float[] lo = new float[16], hi = new float[16];
                for (int l = 0; l < 16; l++) {
                    lo[l] = (l & b) == 0 ? l : 16 + l - b;
                    hi[l] = (l & b) == 0 ? l + b : 16 + l;
                }
                SWAP_LO[s] = FloatVector.fromArray(F, lo, 0);
                SWAP_HI[s] = FloatVector.fromArray(F, hi, 0);
            }
        }
    }

    /** Rows {@code r0 .. r0+16}, columns {@code k0 .. k0+16} of {@code src} (rows of K) transposed into {@code dst} (rows of TILE). Unrolled: vectors in an array would not stay in registers. */
    private static void transpose16(float[] src, int r0, int K, int k0, float[] dst) {
        FloatVector v0 = FloatVector.fromArray(F, src, (r0 + 0) * K + k0);
        FloatVector v1 = FloatVector.fromArray(F, src, (r0 + 1) * K + k0);
        FloatVector v2 = FloatVector.fromArray(F, src, (r0 + 2) * K + k0);
        FloatVector v3 = FloatVector.fromArray(F, src, (r0 + 3) * K + k0);
        FloatVector v4 = FloatVector.fromArray(F, src, (r0 + 4) * K + k0);
        FloatVector v5 = FloatVector.fromArray(F, src, (r0 + 5) * K + k0);
        FloatVector v6 = FloatVector.fromArray(F, src, (r0 + 6) * K + k0);
        FloatVector v7 = FloatVector.fromArray(F, src, (r0 + 7) * K + k0);
        FloatVector v8 = FloatVector.fromArray(F, src, (r0 + 8) * K + k0);
        FloatVector v9 = FloatVector.fromArray(F, src, (r0 + 9) * K + k0);
        FloatVector v10 = FloatVector.fromArray(F, src, (r0 + 10) * K + k0);
        FloatVector v11 = FloatVector.fromArray(F, src, (r0 + 11) * K + k0);
        FloatVector v12 = FloatVector.fromArray(F, src, (r0 + 12) * K + k0);
        FloatVector v13 = FloatVector.fromArray(F, src, (r0 + 13) * K + k0);
        FloatVector v14 = FloatVector.fromArray(F, src, (r0 + 14) * K + k0);
        FloatVector v15 = FloatVector.fromArray(F, src, (r0 + 15) * K + k0);
        FloatVector a, b;
        FloatVector lo0 = SWAP_LO[0], hi0 = SWAP_HI[0];
        a = v0; b = v8; v0 = lo0.selectFrom(a, b); v8 = hi0.selectFrom(a, b);
        a = v1; b = v9; v1 = lo0.selectFrom(a, b); v9 = hi0.selectFrom(a, b);
        a = v2; b = v10; v2 = lo0.selectFrom(a, b); v10 = hi0.selectFrom(a, b);
        a = v3; b = v11; v3 = lo0.selectFrom(a, b); v11 = hi0.selectFrom(a, b);
        a = v4; b = v12; v4 = lo0.selectFrom(a, b); v12 = hi0.selectFrom(a, b);
        a = v5; b = v13; v5 = lo0.selectFrom(a, b); v13 = hi0.selectFrom(a, b);
        a = v6; b = v14; v6 = lo0.selectFrom(a, b); v14 = hi0.selectFrom(a, b);
        a = v7; b = v15; v7 = lo0.selectFrom(a, b); v15 = hi0.selectFrom(a, b);
        FloatVector lo1 = SWAP_LO[1], hi1 = SWAP_HI[1];
        a = v0; b = v4; v0 = lo1.selectFrom(a, b); v4 = hi1.selectFrom(a, b);
        a = v1; b = v5; v1 = lo1.selectFrom(a, b); v5 = hi1.selectFrom(a, b);
        a = v2; b = v6; v2 = lo1.selectFrom(a, b); v6 = hi1.selectFrom(a, b);
        a = v3; b = v7; v3 = lo1.selectFrom(a, b); v7 = hi1.selectFrom(a, b);
        a = v8; b = v12; v8 = lo1.selectFrom(a, b); v12 = hi1.selectFrom(a, b);
        a = v9; b = v13; v9 = lo1.selectFrom(a, b); v13 = hi1.selectFrom(a, b);
        a = v10; b = v14; v10 = lo1.selectFrom(a, b); v14 = hi1.selectFrom(a, b);
        a = v11; b = v15; v11 = lo1.selectFrom(a, b); v15 = hi1.selectFrom(a, b);
        FloatVector lo2 = SWAP_LO[2], hi2 = SWAP_HI[2];
        a = v0; b = v2; v0 = lo2.selectFrom(a, b); v2 = hi2.selectFrom(a, b);
        a = v1; b = v3; v1 = lo2.selectFrom(a, b); v3 = hi2.selectFrom(a, b);
        a = v4; b = v6; v4 = lo2.selectFrom(a, b); v6 = hi2.selectFrom(a, b);
        a = v5; b = v7; v5 = lo2.selectFrom(a, b); v7 = hi2.selectFrom(a, b);
        a = v8; b = v10; v8 = lo2.selectFrom(a, b); v10 = hi2.selectFrom(a, b);
        a = v9; b = v11; v9 = lo2.selectFrom(a, b); v11 = hi2.selectFrom(a, b);
        a = v12; b = v14; v12 = lo2.selectFrom(a, b); v14 = hi2.selectFrom(a, b);
        a = v13; b = v15; v13 = lo2.selectFrom(a, b); v15 = hi2.selectFrom(a, b);
        FloatVector lo3 = SWAP_LO[3], hi3 = SWAP_HI[3];
        a = v0; b = v1; v0 = lo3.selectFrom(a, b); v1 = hi3.selectFrom(a, b);
        a = v2; b = v3; v2 = lo3.selectFrom(a, b); v3 = hi3.selectFrom(a, b);
        a = v4; b = v5; v4 = lo3.selectFrom(a, b); v5 = hi3.selectFrom(a, b);
        a = v6; b = v7; v6 = lo3.selectFrom(a, b); v7 = hi3.selectFrom(a, b);
        a = v8; b = v9; v8 = lo3.selectFrom(a, b); v9 = hi3.selectFrom(a, b);
        a = v10; b = v11; v10 = lo3.selectFrom(a, b); v11 = hi3.selectFrom(a, b);
        a = v12; b = v13; v12 = lo3.selectFrom(a, b); v13 = hi3.selectFrom(a, b);
        a = v14; b = v15; v14 = lo3.selectFrom(a, b); v15 = hi3.selectFrom(a, b);
        v0.intoArray(dst, (k0 + 0) * TILE + r0);
        v1.intoArray(dst, (k0 + 1) * TILE + r0);
        v2.intoArray(dst, (k0 + 2) * TILE + r0);
        v3.intoArray(dst, (k0 + 3) * TILE + r0);
        v4.intoArray(dst, (k0 + 4) * TILE + r0);
        v5.intoArray(dst, (k0 + 5) * TILE + r0);
        v6.intoArray(dst, (k0 + 6) * TILE + r0);
        v7.intoArray(dst, (k0 + 7) * TILE + r0);
        v8.intoArray(dst, (k0 + 8) * TILE + r0);
        v9.intoArray(dst, (k0 + 9) * TILE + r0);
        v10.intoArray(dst, (k0 + 10) * TILE + r0);
        v11.intoArray(dst, (k0 + 11) * TILE + r0);
        v12.intoArray(dst, (k0 + 12) * TILE + r0);
        v13.intoArray(dst, (k0 + 13) * TILE + r0);
        v14.intoArray(dst, (k0 + 14) * TILE + r0);
        v15.intoArray(dst, (k0 + 15) * TILE + r0);
    }

    /** Tokens per register block of {@link #outerTile}. */
    private static final int TOKENS = 6;

    /**
     * {@code out[s * stride + r] = (res[s * stride + r] +) sum_k a[k * TILE + r] x[xo + s K + k]} for
     * {@code r < rows}, {@code s < T}: per k, the tile's column (TILE rows, two vectors when TILE is two
     * vectors wide) times six broadcast activations, into 12 accumulators.
     */
    static void outerTile(float[] a, int rows, int K, float[] x, int xo, int T, float[] out, int oo, int stride, float[] res, int ro) {
        int s = 0;
        if (rows == TILE && TILE == 2 * LANES) {
            // whole tile, six whole tokens: no tails, so the JIT sees one steady path
            for (; s + TOKENS <= T; s += TOKENS) outerFull(a, K, x, xo + s * K, out, oo + s * stride, stride, res, ro + s * stride);
        }
        if (s < T) outerPartial(a, rows, K, x, xo, s, T, out, oo, stride, res, ro);
    }

    /** Six tokens from {@code x[xo]} times a whole tile of 2 LANES rows, stored whole (plus the residual). */
    private static void outerFull(float[] a, int K, float[] x, int xo, float[] out, int oo, int stride, float[] res, int ro) {
        int x0 = xo, x1 = x0 + K, x2 = x1 + K, x3 = x2 + K, x4 = x3 + K, x5 = x4 + K;
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        for (int k = 0, ai = 0; k < K; k++, ai += TILE) {
            FloatVector w0 = FloatVector.fromArray(F, a, ai), w1 = FloatVector.fromArray(F, a, ai + LANES);
            FloatVector b = FloatVector.broadcast(F, x[x0 + k]);
            c00 = w0.fma(b, c00); c01 = w1.fma(b, c01);
            b = FloatVector.broadcast(F, x[x1 + k]);
            c10 = w0.fma(b, c10); c11 = w1.fma(b, c11);
            b = FloatVector.broadcast(F, x[x2 + k]);
            c20 = w0.fma(b, c20); c21 = w1.fma(b, c21);
            b = FloatVector.broadcast(F, x[x3 + k]);
            c30 = w0.fma(b, c30); c31 = w1.fma(b, c31);
            b = FloatVector.broadcast(F, x[x4 + k]);
            c40 = w0.fma(b, c40); c41 = w1.fma(b, c41);
            b = FloatVector.broadcast(F, x[x5 + k]);
            c50 = w0.fma(b, c50); c51 = w1.fma(b, c51);
        }
        if (res != null) {
            c00 = c00.add(FloatVector.fromArray(F, res, ro)); c01 = c01.add(FloatVector.fromArray(F, res, ro + LANES));
            c10 = c10.add(FloatVector.fromArray(F, res, ro + stride)); c11 = c11.add(FloatVector.fromArray(F, res, ro + stride + LANES));
            c20 = c20.add(FloatVector.fromArray(F, res, ro + 2 * stride)); c21 = c21.add(FloatVector.fromArray(F, res, ro + 2 * stride + LANES));
            c30 = c30.add(FloatVector.fromArray(F, res, ro + 3 * stride)); c31 = c31.add(FloatVector.fromArray(F, res, ro + 3 * stride + LANES));
            c40 = c40.add(FloatVector.fromArray(F, res, ro + 4 * stride)); c41 = c41.add(FloatVector.fromArray(F, res, ro + 4 * stride + LANES));
            c50 = c50.add(FloatVector.fromArray(F, res, ro + 5 * stride)); c51 = c51.add(FloatVector.fromArray(F, res, ro + 5 * stride + LANES));
        }
        c00.intoArray(out, oo); c01.intoArray(out, oo + LANES);
        c10.intoArray(out, oo + stride); c11.intoArray(out, oo + stride + LANES);
        c20.intoArray(out, oo + 2 * stride); c21.intoArray(out, oo + 2 * stride + LANES);
        c30.intoArray(out, oo + 3 * stride); c31.intoArray(out, oo + 3 * stride + LANES);
        c40.intoArray(out, oo + 4 * stride); c41.intoArray(out, oo + 4 * stride + LANES);
        c50.intoArray(out, oo + 5 * stride); c51.intoArray(out, oo + 5 * stride + LANES);
    }

    /** Tokens {@code [s0, T)} of {@link #outerTile} for a partial tile or a tail of fewer than six tokens. */
    private static void outerPartial(float[] a, int rows, int K, float[] x, int xo, int s0, int T, float[] out, int oo, int stride, float[] res, int ro) {
        for (int s = s0; s < T; s += TOKENS) {
            int n = Math.min(TOKENS, T - s);
            int x0 = xo + s * K, x1 = xo + (s + Math.min(1, n - 1)) * K, x2 = xo + (s + Math.min(2, n - 1)) * K;
            int x3 = xo + (s + Math.min(3, n - 1)) * K, x4 = xo + (s + Math.min(4, n - 1)) * K, x5 = xo + (s + Math.min(5, n - 1)) * K;
            for (int v = 0; v < TILE; v += 2 * LANES) {
                FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
                FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
                for (int k = 0, ai = v; k < K; k++, ai += TILE) {
                    FloatVector w0 = FloatVector.fromArray(F, a, ai), w1 = FloatVector.fromArray(F, a, ai + LANES);
                    FloatVector b = FloatVector.broadcast(F, x[x0 + k]);
                    c00 = w0.fma(b, c00); c01 = w1.fma(b, c01);
                    b = FloatVector.broadcast(F, x[x1 + k]);
                    c10 = w0.fma(b, c10); c11 = w1.fma(b, c11);
                    b = FloatVector.broadcast(F, x[x2 + k]);
                    c20 = w0.fma(b, c20); c21 = w1.fma(b, c21);
                    b = FloatVector.broadcast(F, x[x3 + k]);
                    c30 = w0.fma(b, c30); c31 = w1.fma(b, c31);
                    b = FloatVector.broadcast(F, x[x4 + k]);
                    c40 = w0.fma(b, c40); c41 = w1.fma(b, c41);
                    b = FloatVector.broadcast(F, x[x5 + k]);
                    c50 = w0.fma(b, c50); c51 = w1.fma(b, c51);
                }
                store(c00, c01, rows, v, out, oo + s * stride, res, ro + s * stride);
                if (n > 1) store(c10, c11, rows, v, out, oo + (s + 1) * stride, res, ro + (s + 1) * stride);
                if (n > 2) store(c20, c21, rows, v, out, oo + (s + 2) * stride, res, ro + (s + 2) * stride);
                if (n > 3) store(c30, c31, rows, v, out, oo + (s + 3) * stride, res, ro + (s + 3) * stride);
                if (n > 4) store(c40, c41, rows, v, out, oo + (s + 4) * stride, res, ro + (s + 4) * stride);
                if (n > 5) store(c50, c51, rows, v, out, oo + (s + 5) * stride, res, ro + (s + 5) * stride);
            }
        }
    }

    /** Rows {@code v .. v + 2 LANES} (those below {@code rows}) of one token's outputs, plus the residual. */
    private static void store(FloatVector c0, FloatVector c1, int rows, int v, float[] out, int o, float[] res, int r) {
        if (v + 2 * LANES <= rows) {
            if (res != null) {
                c0 = c0.add(FloatVector.fromArray(F, res, r + v));
                c1 = c1.add(FloatVector.fromArray(F, res, r + v + LANES));
            }
            c0.intoArray(out, o + v);
            c1.intoArray(out, o + v + LANES);
            return;
        }
        float[] tmp = Scratch.floats(Scratch.STORE, 2 * LANES);
        c0.intoArray(tmp, 0);
        c1.intoArray(tmp, LANES);
        for (int i = 0; i < 2 * LANES && v + i < rows; i++) out[o + v + i] = tmp[i] + (res == null ? 0f : res[r + v + i]);
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
            Vec.sum(c00), Vec.sum(c10), Vec.sum(c20), Vec.sum(c30),
            Vec.sum(c01), Vec.sum(c11), Vec.sum(c21), Vec.sum(c31),
            Vec.sum(c02), Vec.sum(c12), Vec.sum(c22), Vec.sum(c32),
            Vec.sum(c03), Vec.sum(c13), Vec.sum(c23), Vec.sum(c33)};
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
            s = Vec.sum(acc);
        }
        for (; i < K; i++) s += a[ao + i] * x[xo + i];
        return s;
    }
}
