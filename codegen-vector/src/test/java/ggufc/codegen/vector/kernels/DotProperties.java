package ggufc.codegen.vector.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.ir.DType;
import ggufc.ir.quant.BlockCodecs;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Weight-row kernels against their definitions: the vector dot of every dtype and the scalar
 * fallback against BlockCodecs' dequantization and a double dot product; row decoding bit-exact
 * with BlockCodecs; whole matmuls (decode and prompt paths, residuals, column slices, GLU, 1-3
 * threads) against a double reference.
 */
class DotProperties {

    @Provide
    Arbitrary<DType> weightTypes() { return Arbitraries.of(QuantData.WEIGHT_TYPES); }

    @Test
    void vectorKernelsAreInUse() {
        // the properties below would only test the scalar path on a machine without a vector shape
        assertTrue(Vec.ENABLED, "no usable vector shape: " + Vec.describe());
    }

    @Property(tries = 300)
    void vectorAndScalarDotsMatchTheDefinition(@ForAll("weightTypes") DType t, @ForAll @IntRange(min = 1, max = 9) int blocks,
                                               @ForAll @IntRange(min = 0, max = 40) int ragged, @ForAll long seed) {
        Random rnd = new Random(seed);
        // plain types get a ragged length (tails shorter than a vector); block types whole blocks
        int k = t.isQuantized() ? blocks * t.blockSize() : blocks * 16 + ragged;
        MemorySegment w = QuantData.rows(t, 2, k, rnd);
        int xo = rnd.nextInt(5);
        float[] x = QuantData.activations(xo + k, rnd);
        for (int r = 0; r < 2; r++) {
            double want = QuantData.dot(QuantData.row(t, w, r, k), x, xo);
            double tol = QuantData.tolerance(t, w, r, k, x, xo);
            float[] xs = null;
            if (Dot.sumGroup(t) > 0) {
                xs = new float[k / Dot.sumGroup(t)];
                Dot.groupSums(x, xo, k, Dot.sumGroup(t), xs);
            }
            long off = r * t.bytesFor(k);
            float vec = Dot.dot(t, w, off, x, xo, k, xs);
            float scalar = ScalarDot.dot(t, w, off, x, xo, k);
            assertEquals(want, vec, tol, t + " vector dot, k=" + k);
            assertEquals(want, scalar, tol, t + " scalar dot, k=" + k);
        }
    }

    @Property(tries = 200)
    void rowDecodeIsBitExact(@ForAll("weightTypes") DType t, @ForAll @IntRange(min = 1, max = 5) int blocks,
                             @ForAll @IntRange(min = 0, max = 40) int ragged, @ForAll long seed) {
        Random rnd = new Random(seed);
        int k = t.isQuantized() ? blocks * t.blockSize() : blocks * 16 + ragged;
        MemorySegment w = QuantData.rows(t, 3, k, rnd);
        for (int r = 0; r < 3; r++) {
            float[] want = QuantData.row(t, w, r, k);
            float[] got = new float[k + 3];
            RowDecode.decode(t, w, r * t.bytesFor(k), got, 3, k);
            for (int i = 0; i < k; i++) {
                assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[3 + i]), t + " element " + i + " of row " + r);
            }
        }
    }

    /**
     * One token (decode) over enough rows that the multi-row kernels (two and four sequential
     * streams, Q8_0/Q4_0 lookups) run, on one thread so each range is whole.
     */
    @Property(tries = 150)
    void decodeMatvecMatchesTheDefinition(@ForAll("weightTypes") DType t, @ForAll @IntRange(min = 4, max = 41) int N,
                                          @ForAll @IntRange(min = 1, max = 4) int blocks, @ForAll long seed) {
        Random rnd = new Random(seed);
        int k = t.isQuantized() ? blocks * t.blockSize() : blocks * 16 + rnd.nextInt(20);
        MemorySegment w = QuantData.rows(t, N, k, rnd);
        int xo = rnd.nextInt(4);
        float[] x = QuantData.activations(xo + k, rnd);
        float[] out = new float[N];
        try (WorkerPool pool = new WorkerPool(1)) {
            MatMul.matmul(pool, t, w, k, N, x, xo, 1, out, 0, N, null, 0);
        }
        for (int n = 0; n < N; n++) {
            float[] row = QuantData.row(t, w, n, k);
            assertEquals(QuantData.dot(row, x, xo), out[n], QuantData.tolerance(t, w, n, k, x, xo), t + " row " + n + " of " + N);
        }
    }

    @Property(tries = 120)
    void matmulMatchesTheDefinition(@ForAll("weightTypes") DType t, @ForAll @IntRange(min = 1, max = 11) int T,
                                    @ForAll @IntRange(min = 1, max = 37) int N, @ForAll @IntRange(min = 1, max = 3) int blocks,
                                    @ForAll @IntRange(min = 1, max = 3) int threads, @ForAll boolean residual, @ForAll long seed) {
        Random rnd = new Random(seed);
        int k = t.isQuantized() ? blocks * t.blockSize() : blocks * 16 + rnd.nextInt(20);
        MemorySegment w = QuantData.rows(t, N, k, rnd);
        int xo = rnd.nextInt(4), col = rnd.nextInt(3), stride = N + col + rnd.nextInt(3);
        float[] x = QuantData.activations(xo + T * k, rnd);
        float[] res = residual ? QuantData.activations(T * stride, rnd) : null;
        float[] out = new float[T * stride + 1];
        try (WorkerPool pool = new WorkerPool(threads, true)) {
            MatMul.matmul(pool, t, w, k, N, x, xo, T, out, col, stride, res, col);
        }
        for (int n = 0; n < N; n++) {
            float[] row = QuantData.row(t, w, n, k);
            for (int s = 0; s < T; s++) {
                double want = QuantData.dot(row, x, xo + s * k) + (residual ? res[col + s * stride + n] : 0);
                double tol = QuantData.tolerance(t, w, n, k, x, xo + s * k) + (residual ? Math.ulp(res[col + s * stride + n]) : 0);
                assertEquals(want, out[col + s * stride + n], tol, t + " T=" + T + " row " + n + " token " + s);
            }
        }
    }

    /**
     * The speculative verify step's kernels ({@link MatMul#rowwise}): each token's row is the one-token
     * step's (matmul with a residual and a column stride, and GLU), the same kernels on the same rows,
     * within a few float roundings: not bit for bit, because the Vector API's reductions and lanewise
     * exp are computed differently before and after C2 compiles them (the order of reduceLanes(ADD) is
     * unspecified), so even two calls of the same code early in a JVM can differ in the last bits.
     */
    @Property(tries = 80)
    void rowwiseStepsAreOneTokenSteps(@ForAll("weightTypes") DType t, @ForAll @IntRange(min = 2, max = 9) int T,
                                             @ForAll @IntRange(min = 1, max = 70) int N, @ForAll @IntRange(min = 1, max = 3) int blocks,
                                             @ForAll @IntRange(min = 1, max = 3) int threads, @ForAll boolean residual, @ForAll boolean gelu,
                                             @ForAll long seed) {
        Random rnd = new Random(seed);
        int k = t.isQuantized() ? blocks * t.blockSize() : blocks * 16 + rnd.nextInt(20);
        MemorySegment w = QuantData.rows(t, N, k, rnd), wu = QuantData.rows(t, N, k, rnd);
        int xo = rnd.nextInt(4), col = rnd.nextInt(3), stride = N + col + rnd.nextInt(3);
        float[] x = QuantData.activations(xo + T * k, rnd);
        float[] res = residual ? QuantData.activations(T * stride, rnd) : null;
        float[] out = new float[T * stride + 1], glu = new float[T * N];
        try (WorkerPool pool = new WorkerPool(threads, true)) {
            MatMul.rowwise(T, () -> {
                MatMul.matmul(pool, t, w, k, N, x, xo, T, out, col, stride, res, col);
                MatMul.glu(pool, t, w, t, wu, k, N, x, xo, T, glu, 0, gelu);
            });
            for (int s = 0; s < T; s++) {
                float[] one = new float[stride + 1], g1 = new float[N];
                float[] r1 = residual ? java.util.Arrays.copyOfRange(res, s * stride, (s + 1) * stride) : null;
                MatMul.matmul(pool, t, w, k, N, x, xo + s * k, 1, one, col, stride, r1, col);
                MatMul.glu(pool, t, w, t, wu, k, N, x, xo + s * k, 1, g1, 0, gelu);
                for (int n = 0; n < N; n++) {
                    double tol = QuantData.tolerance(t, w, n, k, x, xo + s * k) * 1e-3 + 8 * Math.ulp(one[col + n]);
                    assertEquals(one[col + n], out[col + s * stride + n], tol, t + " T=" + T + " row " + n + " token " + s);
                    // the gate's few roundings go through the activation: its derivative bounds them (as gluMatchesTheDefinition)
                    double u = QuantData.dot(QuantData.row(t, wu, n, k), x, xo + s * k), a = g1[n] / u;
                    double gt = 1.2 * tol * Math.abs(u) + 1e-5 * Math.abs(g1[n]) + 8 * Math.ulp(g1[n]) + Float.MIN_NORMAL;
                    if (gelu && Double.isFinite(a)) {
                        // ggml's GELU reads its input as f16 and returns f16: a gate a few roundings away from an f16 rounding
                        // boundary may land one f16 step (2^13 f32 ulps) to either side, in and out of the activation
                        float gate = (float) QuantData.dot(QuantData.row(t, w, n, k), x, xo + s * k);
                        gt += Math.abs(u) * (1.2 * 8192 * Math.ulp(gate) + 8192 * Math.ulp((float) a));
                    }
                    assertEquals(g1[n], glu[s * N + n], gt + (Double.isFinite(a) ? 0 : Math.abs(g1[n])), t + " GLU T=" + T + " row " + n + " token " + s);
                }
            }
        }
    }

    /**
     * Short prompt steps of Q8_0 and Q4_0 weights run the multi-token kernels (two rows times four
     * tokens, each weight block converted once: {@link MatMul#rowsTokens}); every (row, token) value
     * must be bit for bit the one-token step's, whatever T (remainder tokens), N (an odd last row),
     * the thread count, the column slice and the residual. The one-token kernels are checked against
     * the scalar definitions by {@code matmulMatchesTheDefinition}.
     */
    @Property(tries = 120)
    void multiTokenStepsAreOneTokenStepsBitForBit(@ForAll("multiTokenTypes") DType t, @ForAll @IntRange(min = 2, max = 12) int T,
                                                  @ForAll @IntRange(min = 1, max = 41) int N, @ForAll @IntRange(min = 1, max = 4) int blocks,
                                                  @ForAll @IntRange(min = 1, max = 3) int threads, @ForAll boolean residual,
                                                  @ForAll boolean gelu, @ForAll long seed) {
        Random rnd = new Random(seed);
        int k = blocks * t.blockSize();
        MemorySegment w = QuantData.rows(t, N, k, rnd), wu = QuantData.rows(t, N, k, rnd);
        int xo = rnd.nextInt(4), col = rnd.nextInt(3), stride = N + col + rnd.nextInt(3);
        float[] x = QuantData.activations(xo + T * k, rnd);
        float[] res = residual ? QuantData.activations(T * stride, rnd) : null;
        float[] out = new float[T * stride + 1], glu = new float[T * N];
        try (WorkerPool pool = new WorkerPool(threads, true)) {
            MatMul.matmul(pool, t, w, k, N, x, xo, T, out, col, stride, res, col);
            MatMul.glu(pool, t, w, t, wu, k, N, x, xo, T, glu, 0, gelu);
            for (int s = 0; s < T; s++) {
                float[] one = new float[stride + 1], g1 = new float[N];
                float[] r1 = residual ? java.util.Arrays.copyOfRange(res, s * stride, (s + 1) * stride) : null;
                MatMul.matmul(pool, t, w, k, N, x, xo + s * k, 1, one, col, stride, r1, col);
                MatMul.glu(pool, t, w, t, wu, k, N, x, xo + s * k, 1, g1, 0, gelu);
                for (int n = 0; n < N; n++) {
                    assertEquals(Float.floatToIntBits(one[col + n]), Float.floatToIntBits(out[col + s * stride + n]),
                            t + " T=" + T + " row " + n + " token " + s + ": " + one[col + n] + " vs " + out[col + s * stride + n]);
                    assertEquals(Float.floatToIntBits(g1[n]), Float.floatToIntBits(glu[s * N + n]),
                            t + " GLU T=" + T + " row " + n + " token " + s + ": " + g1[n] + " vs " + glu[s * N + n]);
                }
            }
        }
    }

    @Provide
    Arbitrary<DType> multiTokenTypes() { return Arbitraries.of(DType.Q8_0, DType.Q4_0); }

    /** The sample that failed in CI before the f16 GELU step was allowed for (Q5_K, GELU: 6.8e-5 at -1.5, one f16 step of the gate's activation). */
    @net.jqwik.api.Example
    void rowwiseGeluSampleFromCi() { rowwiseStepsAreOneTokenSteps(DType.Q5_K, 8, 68, 1, 1, true, true, 9223372036854775806L); }

    @Property(tries = 100)
    void q8_0ActivationMatmulMatchesTheDefinition(@ForAll("q8Types") DType t, @ForAll @IntRange(min = 1, max = 5) int T,
                                                  @ForAll @IntRange(min = 1, max = 19) int N, @ForAll @IntRange(min = 1, max = 4) int blocks,
                                                  @ForAll @IntRange(min = 1, max = 2) int threads, @ForAll long seed) {
        Random rnd = new Random(seed);
        int k = 32 * blocks;
        MemorySegment w = QuantData.rows(t, N, k, rnd);
        float[] x = QuantData.activations(T * k, rnd);
        // the definition: x rounded through Q8_0 blocks (BlockCodecs), then the f32 matmul
        MemorySegment xq = java.lang.foreign.Arena.ofAuto().allocate(DType.Q8_0.bytesFor(T * k));
        BlockCodecs.quantize(DType.Q8_0, x, 0, T * k, xq, 0);
        float[] xr = new float[T * k];
        BlockCodecs.dequantize(DType.Q8_0, xq, 0, xr, 0, T * k);
        float[] out = new float[T * N];
        try (WorkerPool pool = new WorkerPool(threads, true)) {
            MatMul.matmul(pool, t, DType.Q8_0, w, k, N, x, 0, T, out, 0, N, null, 0);
        }
        for (int n = 0; n < N; n++) {
            float[] row = QuantData.row(t, w, n, k);
            for (int s = 0; s < T; s++) {
                double want = QuantData.dot(row, xr, s * k);
                assertEquals(want, out[s * N + n], QuantData.tolerance(t, w, n, k, xr, s * k), t + " x q8_0, T=" + T + " row " + n + " token " + s);
            }
        }
    }

    @Provide
    Arbitrary<DType> q8Types() { return Arbitraries.of(DType.Q8_0, DType.Q4_0, DType.Q5_0); }

    @Property(tries = 60)
    void gluMatchesTheDefinition(@ForAll("weightTypes") DType t, @ForAll @IntRange(min = 1, max = 6) int T,
                                 @ForAll @IntRange(min = 1, max = 35) int N, @ForAll @IntRange(min = 1, max = 2) int threads,
                                 @ForAll boolean gelu, @ForAll long seed) {
        Random rnd = new Random(seed);
        int k = t.isQuantized() ? t.blockSize() : 16 + rnd.nextInt(20);
        MemorySegment wg = QuantData.rows(t, N, k, rnd), wu = QuantData.rows(t, N, k, rnd);
        float[] x = QuantData.activations(T * k, rnd);
        float[] out = new float[T * N];
        try (WorkerPool pool = new WorkerPool(threads, true)) {
            MatMul.glu(pool, t, wg, t, wu, k, N, x, 0, T, out, 0, gelu);
        }
        for (int n = 0; n < N; n++) {
            for (int s = 0; s < T; s++) {
                double g = QuantData.dot(QuantData.row(t, wg, n, k), x, s * k), u = QuantData.dot(QuantData.row(t, wu, n, k), x, s * k);
                double tg = QuantData.tolerance(t, wg, n, k, x, s * k), tu = QuantData.tolerance(t, wu, n, k, x, s * k);
                double a = gelu ? Ops.gelu((float) g) : Ops.silu((float) g);
                // |act'| <= 1.13 for silu and gelu; the product's error adds both sides' bounds; gelu's f16
                // roundings (ggml's table) can fall the other way for a last-bit difference in g: one f16 step
                double tol = 1.2 * tg * Math.abs(u) + Math.abs(a) * tu + 1e-6 * Math.abs(a * u) + Float.MIN_NORMAL
                        + (gelu ? 2e-3 * (Math.abs(a) + Math.abs(g)) * Math.abs(u) : 0);
                assertEquals(a * u, out[s * N + n], tol, t + " GLU row " + n + " token " + s);
            }
        }
    }

    @Property(tries = 100)
    void packedMatmulAndGluMatchTheDefinition(@ForAll @IntRange(min = 1, max = 11) int T, @ForAll @IntRange(min = 1, max = 40) int N,
                                             @ForAll @IntRange(min = 1, max = 90) int k, @ForAll @IntRange(min = 1, max = 3) int threads,
                                             @ForAll boolean residual, @ForAll boolean gelu, @ForAll long seed) {
        Random rnd = new Random(seed);
        DType t = DType.F32;
        MemorySegment w = QuantData.rows(t, N, k, rnd), wu = QuantData.rows(t, N, k, rnd);
        int xo = rnd.nextInt(4), col = rnd.nextInt(3), stride = N + col + rnd.nextInt(3);
        float[] x = QuantData.activations(xo + T * k, rnd);
        float[] res = residual ? QuantData.activations(T * stride, rnd) : null;
        float[] out = new float[T * stride + 1], glu = new float[T * N];
        try (WorkerPool pool = new WorkerPool(threads, true)) {
            Packed.matmul(pool, Packed.pack(w, N, k), k, N, x, xo, T, out, col, stride, res, col);
            Packed.glu(pool, Packed.pack(w, N, k), Packed.pack(wu, N, k), k, N, x, xo, T, glu, 0, gelu);
        }
        for (int n = 0; n < N; n++) {
            float[] row = QuantData.row(t, w, n, k), up = QuantData.row(t, wu, n, k);
            for (int s = 0; s < T; s++) {
                double want = QuantData.dot(row, x, xo + s * k) + (residual ? res[col + s * stride + n] : 0);
                double tol = QuantData.tolerance(t, w, n, k, x, xo + s * k) + (residual ? Math.ulp(res[col + s * stride + n]) : 0);
                assertEquals(want, out[col + s * stride + n], tol, "packed T=" + T + " row " + n + " token " + s);
                double g = QuantData.dot(row, x, xo + s * k), u = QuantData.dot(up, x, xo + s * k);
                double tg = QuantData.tolerance(t, w, n, k, x, xo + s * k), tu = QuantData.tolerance(t, wu, n, k, x, xo + s * k);
                double a = gelu ? Ops.gelu((float) g) : Ops.silu((float) g);
                assertEquals(a * u, glu[s * N + n], 1.2 * tg * Math.abs(u) + Math.abs(a) * tu + 1e-6 * Math.abs(a * u) + Float.MIN_NORMAL
                        + (gelu ? 2e-3 * (Math.abs(a) + Math.abs(g)) * Math.abs(u) : 0), "packed GLU row " + n + " token " + s);
            }
        }
        if (col > 0) assertEquals(0f, out[0], "nothing written left of the column slice");
    }

    /**
     * Small Q8_0 and Q4_0 matrices are packed as levels and scales ({@link Packed#packLevels}) and
     * multiplied as llama.cpp's x86 CPU backend does: each output must equal, bit for bit, a scalar
     * restatement of {@code ggml_vec_dot_q8_0_q8_0} / {@code ggml_vec_dot_q4_0_q8_0} (AVX2: eight
     * lanes of exact four-product sums, {@code fma(d_w d_x, sum, acc)} per lane, {@code hsum_float_8})
     * or, for Q4_0 with rows a multiple of 8, of the repacked {@code ggml_gemv_q4_0_8x8_q8_0} (one
     * exact block sum per block, {@code fma(sum, d_w d_x, acc)}), on the activations rounded as
     * {@link ActQuant#q8_0} rounds them; a GLU is the two products, then the activation.
     */
    @Property(tries = 120)
    void packedQ8_0AndQ4_0FollowGgmlsX86Kernels(@ForAll("multiTokenTypes") DType t, @ForAll @IntRange(min = 1, max = 5) int T,
                                                @ForAll @IntRange(min = 1, max = 40) int N, @ForAll @IntRange(min = 1, max = 4) int blocks,
                                                @ForAll @IntRange(min = 1, max = 3) int threads, @ForAll boolean residual, @ForAll boolean gelu,
                                                @ForAll long seed) {
        Random rnd = new Random(seed);
        int k = 32 * blocks;
        if (rnd.nextBoolean()) N = 8 * (1 + rnd.nextInt(4));
        MemorySegment w = QuantData.rows(t, N, k, rnd), wu = QuantData.rows(t, N, k, rnd);
        float[] x = QuantData.activations(T * k, rnd);
        float[] res = residual ? QuantData.activations(T * N, rnd) : null;
        float[] out = new float[T * N], glu = new float[T * N];
        try (WorkerPool pool = new WorkerPool(threads, true)) {
            Packed.matmul(pool, Packed.pack(w, t, N, k), DType.Q8_0, k, N, x, 0, T, out, 0, N, res, 0);
            Packed.glu(pool, Packed.pack(w, t, N, k), Packed.pack(wu, t, N, k), DType.Q8_0, k, N, x, 0, T, glu, 0, gelu);
        }
        float[] q = new float[T * k], d = new float[T * blocks];
        for (int s = 0; s < T; s++) ActQuant.q8_0(x, s * k, k, q, s * k, d, s * blocks);
        boolean repacked = t == DType.Q4_0 && N % 8 == 0;
        for (int s = 0; s < T; s++) {
            float[] g = new float[N], u = new float[N], o = new float[N];
            for (int n = 0; n < N; n++) {
                g[n] = ggmlX86Dot(t, w, n, k, q, s * k, d, s * blocks, repacked);
                u[n] = ggmlX86Dot(t, wu, n, k, q, s * k, d, s * blocks, repacked);
                float want = residual ? g[n] + res[s * N + n] : g[n];
                assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(out[s * N + n]), t + " N=" + N + " row " + n + " token " + s + ": " + want + " vs " + out[s * N + n]);
            }
            // the activation over the whole row, as the kernel applies it (its vector lanes and scalar tail round differently)
            Ops.gatedAct(g, 0, u, 0, N, gelu, o, 0);
            for (int n = 0; n < N; n++) assertEquals(Float.floatToIntBits(o[n]), Float.floatToIntBits(glu[s * N + n]), t + " GLU row " + n + " token " + s);
        }
    }

    /** Row {@code n} of a Q8_0 / Q4_0 matrix times activation levels {@code q} (scales {@code d}), as ggml's x86 kernels order it. */
    static float ggmlX86Dot(DType t, MemorySegment w, int n, int k, float[] q, int qo, float[] d, int db, boolean repacked) {
        long rowBytes = t.bytesFor(k), blockBytes = t.bytesFor(32);
        float[] acc = new float[8];
        float one = 0;
        for (int b = 0; b < k / 32; b++) {
            long off = n * rowBytes + b * blockBytes;
            float dd = BlockCodecs.f16ToF32(w.get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, off)) * d[db + b];
            int[] sums = new int[8];
            for (int j = 0; j < 32; j++) {
                int level = t == DType.Q8_0 ? w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, off + 2 + j)
                        : ((w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, off + 2 + (j % 16)) >> (j < 16 ? 0 : 4)) & 15) - 8;
                sums[j / 4] += level * (int) q[qo + 32 * b + j];
            }
            if (repacked) {
                int whole = 0;
                for (int v : sums) whole += v;
                one = Math.fma((float) whole, dd, one);
            } else {
                for (int l = 0; l < 8; l++) acc[l] = Math.fma(dd, (float) sums[l], acc[l]);
            }
        }
        if (repacked) return one;
        float r0 = acc[4] + acc[0], r1 = acc[5] + acc[1], r2 = acc[6] + acc[2], r3 = acc[7] + acc[3];
        return (r0 + r2) + (r1 + r3);
    }

    @Test
    void halfConversionIsExactForEveryHalf() {
        MemorySegment seg = java.lang.foreign.Arena.ofAuto().allocate(2 * 65536);
        for (int h = 0; h < 65536; h++) seg.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 2L * h, (short) h);
        float[] got = new float[65536];
        RowDecode.decode(DType.F16, seg, 0, got, 0, 65536);
        for (int h = 0; h < 65536; h++) {
            float want = BlockCodecs.f16ToF32((short) h);
            if (Float.isNaN(want)) assertTrue(Float.isNaN(got[h]), "half " + Integer.toHexString(h) + " is NaN");
            else assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got[h]), "half " + Integer.toHexString(h));
        }
    }
}
