package ggufc.codegen.vector.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.ir.DType;
import ggufc.ir.quant.BlockCodecs;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The native kernels (kernels.c through {@link NativeKernels}) against independent statements of
 * what they compute: Q8_0 and Q4_0 weights times Q8_0 activations bit for bit against a scalar
 * restatement of ggml's x86 kernels ({@link DotProperties#ggmlX86Dot}) on the activations
 * {@link ActQuant#q8_0} rounds: one token as its AVX2 {@code ggml_vec_dot_q8_0_q8_0} /
 * {@code ggml_vec_dot_q4_0_q8_0}, several (the prompt GEMM) as its repacked
 * {@code ggml_gemm_q4_0_8x8_q8_0}; Q4_K times Q8_K against BlockCodecs' dequantized weights and Q8_K
 * activations in double precision; a speculative verify step ({@link MatMul#rowwise(int, Runnable)})
 * equal, bit for bit, to one-token steps. Each check is shown to fail on a deliberately broken build
 * of the kernels ({@link #brokenKernelsAreCaught}).
 */
class NativeKernelsProperties {

    /** The machine's kernels (the process's, as {@link MatMul} dispatches to them). */
    private static NativeKernels kernels() {
        NativeKernels k = NativeKernels.active();
        assertNotNull(k, "native kernels not running: " + NativeKernels.whyNot());
        return k;
    }

    @Test
    void nativeKernelsRunOnThisMachine() {
        // CI's machines have AVX-512 VNNI and clang; on one without them these properties would test nothing
        assertEquals(null, NativeKernels.missingCpuFlags(), "this CPU cannot run the native kernels");
        kernels();
    }

    @Provide
    Arbitrary<DType> legacyTypes() { return Arbitraries.of(DType.Q8_0, DType.Q4_0); }

    @Property(tries = 150)
    void q8_0AndQ4_0FollowGgmlsAvx2Kernels(@ForAll("legacyTypes") DType t, @ForAll @IntRange(min = 1, max = 6) int T,
                                          @ForAll @IntRange(min = 1, max = 40) int N, @ForAll @IntRange(min = 1, max = 9) int blocks,
                                          @ForAll @IntRange(min = 1, max = 3) int threads, @ForAll boolean residual, @ForAll boolean gelu,
                                          @ForAll long seed) {
        String bad = legacyMismatch(kernels(), t, T, N, blocks, threads, residual, gelu, seed, true);
        assertEquals(null, bad);
    }

    /**
     * Null if {@code nk} gives ggml's values for one random case, else what differs. {@code dispatch}:
     * through {@link MatMul} (which must pick the native kernels), else on {@code nk} directly.
     */
    static String legacyMismatch(NativeKernels nk, DType t, int T, int N, int blocks, int threads, boolean residual, boolean gelu, long seed, boolean dispatch) {
        Random rnd = new Random(seed);
        int k = 32 * blocks;
        MemorySegment w = QuantData.rows(t, N, k, rnd), wu = QuantData.rows(t, N, k, rnd);
        float[] x = QuantData.activations(T * k, rnd);
        float[] res = residual ? QuantData.activations(T * N, rnd) : null;
        float[] out = new float[T * N], glu = new float[T * N];
        try (WorkerPool pool = new WorkerPool(threads, true)) {
            if (dispatch) {
                MatMul.matmul(pool, t, DType.Q8_0, w, k, N, x, 0, T, out, 0, N, res, 0);
                MatMul.glu(pool, t, w, t, wu, DType.Q8_0, k, N, x, 0, T, glu, 0, gelu);
            } else {
                nk.matmul(pool, t, DType.Q8_0, w, k, N, x, 0, T, out, 0, N, res, 0);
                nk.glu(pool, t, w, t, wu, DType.Q8_0, k, N, x, 0, T, glu, 0, gelu);
            }
        }
        float[] q = new float[T * k], d = new float[T * blocks];
        for (int s = 0; s < T; s++) ActQuant.q8_0(x, s * k, k, q, s * k, d, s * blocks);
        boolean gemm = NativeKernels.gemm(T, false); // a prompt step: the GEMM, with the numerics of ggml's repacked kernels
        for (int s = 0; s < T; s++) {
            float[] g = new float[N], u = new float[N], o = new float[N];
            for (int n = 0; n < N; n++) {
                g[n] = DotProperties.ggmlX86Dot(t, w, n, k, q, s * k, d, s * blocks, gemm);
                u[n] = DotProperties.ggmlX86Dot(t, wu, n, k, q, s * k, d, s * blocks, gemm);
                float want = residual ? g[n] + res[s * N + n] : g[n];
                if (Float.floatToIntBits(want) != Float.floatToIntBits(out[s * N + n])) {
                    return t + " T=" + T + " N=" + N + " row " + n + " token " + s + ": " + want + " vs " + out[s * N + n];
                }
            }
            Ops.gatedAct(g, 0, u, 0, N, gelu, o, 0);
            for (int n = 0; n < N; n++) {
                if (Float.floatToIntBits(o[n]) != Float.floatToIntBits(glu[s * N + n])) return t + " GLU row " + n + " token " + s + ": " + o[n] + " vs " + glu[s * N + n];
            }
        }
        return null;
    }

    @Property(tries = 100)
    void q4_kMatchesTheDefinition(@ForAll @IntRange(min = 1, max = 5) int T, @ForAll @IntRange(min = 1, max = 23) int N,
                                  @ForAll @IntRange(min = 1, max = 3) int blocks, @ForAll @IntRange(min = 1, max = 3) int threads,
                                  @ForAll boolean residual, @ForAll long seed) {
        assertEquals(null, q4_kMismatch(kernels(), T, N, blocks, threads, residual, seed, true));
    }

    /** Null if {@code nk}'s Q4_K x Q8_K products are within rounding of the definition for one random case. */
    static String q4_kMismatch(NativeKernels nk, int T, int N, int blocks, int threads, boolean residual, long seed, boolean dispatch) {
        Random rnd = new Random(seed);
        int k = 256 * blocks;
        MemorySegment w = QuantData.rows(DType.Q4_K, N, k, rnd);
        float[] x = QuantData.activations(T * k, rnd);
        float[] res = residual ? QuantData.activations(T * N, rnd) : null;
        // the definition: x rounded through Q8_K blocks (BlockCodecs), then the dot with the decoded rows
        MemorySegment xq = java.lang.foreign.Arena.ofAuto().allocate(DType.Q8_K.bytesFor(T * k));
        BlockCodecs.quantize(DType.Q8_K, x, 0, T * k, xq, 0);
        float[] xr = new float[T * k];
        BlockCodecs.dequantize(DType.Q8_K, xq, 0, xr, 0, T * k);
        float[] out = new float[T * N];
        try (WorkerPool pool = new WorkerPool(threads, true)) {
            if (dispatch) MatMul.matmul(pool, DType.Q4_K, DType.Q8_K, w, k, N, x, 0, T, out, 0, N, res, 0);
            else nk.matmul(pool, DType.Q4_K, DType.Q8_K, w, k, N, x, 0, T, out, 0, N, res, 0);
        }
        for (int n = 0; n < N; n++) {
            float[] row = QuantData.row(DType.Q4_K, w, n, k);
            for (int s = 0; s < T; s++) {
                double want = QuantData.dot(row, xr, s * k) + (residual ? res[s * N + n] : 0);
                double tol = QuantData.tolerance(DType.Q4_K, w, n, k, xr, s * k) + (residual ? Math.ulp(res[s * N + n]) : 0);
                if (Math.abs(want - out[s * N + n]) > tol) return "Q4_K T=" + T + " row " + n + " token " + s + ": " + want + " vs " + out[s * N + n] + " (tolerance " + tol + ")";
            }
        }
        return null;
    }

    @Provide
    Arbitrary<DType> nativeTypes() { return Arbitraries.of(DType.Q8_0, DType.Q4_0, DType.Q4_K); }

    @Property(tries = 100)
    void verifyStepsAreOneTokenStepsBitForBit(@ForAll("nativeTypes") DType t, @ForAll @IntRange(min = 2, max = 12) int T,
                                                  @ForAll @IntRange(min = 1, max = 37) int N, @ForAll @IntRange(min = 1, max = 3) int threads,
                                                  @ForAll boolean residual, @ForAll long seed) {
        assertEquals(null, multiTokenMismatch(kernels(), t, T, N, threads, residual, seed));
    }

    static String multiTokenMismatch(NativeKernels nk, DType t, int T, int N, int threads, boolean residual, long seed) {
        Random rnd = new Random(seed);
        int k = t == DType.Q4_K ? 512 : 96;
        DType act = t == DType.Q4_K ? DType.Q8_K : DType.Q8_0;
        MemorySegment w = QuantData.rows(t, N, k, rnd);
        float[] x = QuantData.activations(T * k, rnd);
        float[] res = residual ? QuantData.activations(T * N, rnd) : null;
        float[] all = new float[T * N], one = new float[N];
        try (WorkerPool pool = new WorkerPool(threads, true)) {
            if (nk == NativeKernels.active()) MatMul.rowwise(T, () -> MatMul.matmul(pool, t, act, w, k, N, x, 0, T, all, 0, N, res, 0));
            else nk.matmul(pool, t, act, w, k, N, x, 0, T, true, all, 0, N, res, 0);
            for (int s = 0; s < T; s++) {
                float[] r1 = residual ? java.util.Arrays.copyOfRange(res, s * N, s * N + N) : null;
                nk.matmul(pool, t, act, w, k, N, x, s * k, 1, one, 0, N, r1, 0);
                for (int n = 0; n < N; n++) {
                    if (Float.floatToIntBits(one[n]) != Float.floatToIntBits(all[s * N + n])) return t + " T=" + T + " row " + n + " token " + s + ": " + one[n] + " vs " + all[s * N + n];
                }
            }
        }
        return null;
    }

    @Property(tries = 100)
    void rmsNormIsTheVectorPathBitForBit(@ForAll @IntRange(min = 1, max = 300) int D, @ForAll @IntRange(min = 1, max = 4) int rows, @ForAll long seed) {
        assertEquals(null, rmsNormMismatch(kernels(), D, rows, seed));
    }

    static String rmsNormMismatch(NativeKernels nk, int D, int rows, long seed) {
        Random rnd = new Random(seed);
        float[] x = QuantData.activations(rows * D + 3, rnd), want = new float[rows * D + 5], got = new float[rows * D + 5];
        MemorySegment w = java.lang.foreign.Arena.ofAuto().allocate(4L * D, 16);
        for (int i = 0; i < D; i++) w.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) rnd.nextGaussian());
        Ops.rmsNormVector(x, 3, w, D, 1e-5f, rows, want, 2);
        nk.rmsNorm(x, 3, w, D, 1e-5f, rows, got, 2);
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToIntBits(want[i]) != Float.floatToIntBits(got[i])) return "rms_norm D=" + D + " element " + i + ": " + want[i] + " vs " + got[i];
        }
        return null;
    }

    @Property(tries = 100)
    void siluGateIsTheDefinition(@ForAll @IntRange(min = 1, max = 600) int n, @ForAll long seed) {
        assertEquals(null, siluGateMismatch(kernels(), n, seed));
    }

    /** silu(g) u against Ops.silu (Math.exp) times u: within 4 ulps (expf and Math.exp may round exp(-g) apart). */
    static String siluGateMismatch(NativeKernels nk, int n, long seed) {
        Random rnd = new Random(seed);
        float[] g = new float[n], u = new float[n], out = new float[n + 1];
        for (int i = 0; i < n; i++) {
            g[i] = (float) (rnd.nextGaussian() * (1 + rnd.nextInt(20)));
            u[i] = (float) rnd.nextGaussian();
        }
        nk.siluGate(g, 0, u, 0, n, out, 1);
        for (int i = 0; i < n; i++) {
            float want = Ops.silu(g[i]) * u[i];
            if (Math.abs(want - out[i + 1]) > 4 * Math.ulp(want) + Float.MIN_NORMAL) return "silu gate " + g[i] + " x " + u[i] + ": " + want + " vs " + out[i + 1];
        }
        return null;
    }

    private static float[] gaussian(int n, Random rnd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    /** The C attention against Attention's scalar head on the same cache (f32, no soft-capping), within 1e-5 of the output's scale (unit-scale rows). */
    static String attentionMismatch(NativeKernels nk, int Hkv, int group, int Dh, int T, int start, int window, long seed) {
        Random rnd = new Random(seed);
        int H = Hkv * group, rowLen = Hkv * Dh, L = start + T;
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment k = arena.allocate(Attention.rows(L) * rowLen * 4), v = arena.allocate(Attention.rows(L) * rowLen * 4);
            // unit-scale rows: scores of order one, so the two summation orders differ by rounding, not by exp's amplification of it
            float[] keys = gaussian(L * rowLen, rnd), values = gaussian(L * rowLen, rnd), q = gaussian(T * H * Dh, rnd);
            int[] all = new int[L], pos = new int[T];
            for (int j = 0; j < L; j++) all[j] = j;
            for (int s = 0; s < T; s++) pos[s] = start + s;
            Attention.kvWrite(k, false, L, rowLen, keys, 0, all, L);
            Attention.kvWrite(v, false, L, rowLen, values, 0, all, L);
            float scale = (float) (1 / Math.sqrt(Dh));
            float[] got = new float[T * H * Dh], want = new float[T * H * Dh], p = new float[(int) Attention.rows(L)];
            nk.attention(q, 0, k, v, pos, L, H, Hkv, Dh, scale, window, 0, T * Hkv, got, 0);
            for (int s = 0; s < T; s++) {
                for (int h = 0; h < H; h++) {
                    int kh = h / group, n = Math.min(L, pos[s] + 1);
                    Attention.scalarHead(q, (s * H + h) * Dh, k, v, false, Attention.firstKey(pos[s], window), n, rowLen, kh * Dh, Dh, scale, 0f, p, want, (s * H + h) * Dh);
                }
            }
            double mag = 1e-30;
            for (float x : want) mag = Math.max(mag, Math.abs(x));
            for (int i = 0; i < want.length; i++) {
                if (Math.abs(want[i] - got[i]) > 1e-5 * mag) return "attention element " + i + ": " + want[i] + " vs " + got[i] + " (scale " + mag + ")";
            }
        }
        return null;
    }

    @Property(tries = 100)
    void attentionIsTheScalarHead(@ForAll @IntRange(min = 1, max = 3) int Hkv, @ForAll @IntRange(min = 1, max = 4) int group, @ForAll @IntRange(min = 1, max = 70) int Dh,
                                  @ForAll @IntRange(min = 1, max = 5) int T, @ForAll @IntRange(min = 0, max = 50) int start, @ForAll @IntRange(min = 0, max = 30) int window,
                                  @ForAll long seed) {
        assertEquals(null, attentionMismatch(kernels(), Hkv, group, Dh, T, start, window, seed));
    }

    /**
     * Each property above fails on a build of kernels.c with one deliberate mistake: Q8_0's weight bias
     * taken as Q4_0's, Q4_0's nibble halves swapped, Q4_K's mins dropped, the four-row path
     * writing its fourth row to the third's place, the verify tile scaling every row by the first
     * row's scales, the Q4_K verify tile reading the first token's activations for both, the prompt
     * GEMM packing Q4_0's high nibbles shifted (gathered or transposed), transposing Q8_0's columns
     * wrongly, Q8_0's block bias off by one, Q4_K's mins with the
     * wrong sign, attention reading one value dimension twice or ignoring its sliding window, the RMS
     * norm summing values instead of squares, SiLU with exp's sign flipped. Each broken
     * library is built and loaded beside the process's own, and the same checks run on it for a fixed
     * set of cases.
     */
    @Test
    void brokenKernelsAreCaught() throws IOException {
        String src = NativeKernels.source();
        record Mutant(String name, String from, String to) {}
        List<Mutant> mutants = List.of(
                new Mutant("Q8_0 weight bias", "LEGACY_KERNEL(q8_0, Q8_0_BYTES, q8_0_levels, 0)", "LEGACY_KERNEL(q8_0, Q8_0_BYTES, q8_0_levels, 1)"),
                new Mutant("Q4_0 nibble halves", "_mm256_set_epi64x(4, 4, 0, 0)", "_mm256_set_epi64x(0, 0, 4, 4)"),
                new Mutant("Q4_K mins", "_mm_set1_ps(-(dx * f16(blk + 2)))", "_mm_set1_ps(0.0f)"),
                new Mutant("four-row outputs", "o, o + quarter, o + 2 * quarter, o + 3 * quarter", "o, o + quarter, o + 2 * quarter, o + 2 * quarter"),
                new Mutant("prompt tile scales", "ACCUMULATE(acc[r][t], p, dw[r], dx);", "ACCUMULATE(acc[r][t], p, dw[0], dx);"),
                new Mutant("Q4_K verify tile tokens", "q4_k_pair(sc[r], q4l, q4h, xq + (int64_t) t * K + 256 * b, j)", "q4_k_pair(sc[r], q4l, q4h, xq + 256 * b, j)"),
                new Mutant("GEMM Q4_0 high nibbles", "p->packed[8 * b + 4 + c], _mm512_and_si512(_mm512_srli_epi32(q, 4), low)", "p->packed[8 * b + 4 + c], _mm512_and_si512(_mm512_srli_epi32(q, 3), low)"),
                new Mutant("GEMM Q4_0 whole-group high nibbles", "_mm512_and_si512(_mm512_srli_epi32(col[c], 4), low)", "_mm512_and_si512(_mm512_srli_epi32(col[c], 3), low)"),
                new Mutant("GEMM Q8_0 whole-group transpose", "_mm512_permutex2var_epi64(u[c], hi, u[c + 4])", "_mm512_permutex2var_epi64(u[c], lo, u[c + 4])"),
                new Mutant("GEMM Q8_0 block bias", "s[18 * b + 16] = -128 * total;", "s[18 * b + 16] = -127 * total;"),
                new Mutant("GEMM Q4_K mins", "_mm512_mul_ps(dm, _mm512_set1_ps(-dx))", "_mm512_mul_ps(dm, _mm512_set1_ps(dx))"),
                new Mutant("attention value dims", "a1 = _mm512_fmadd_ps(_mm512_loadu_ps(o + 16), pc, a1);", "a1 = _mm512_fmadd_ps(_mm512_loadu_ps(o), pc, a1);"),
                new Mutant("attention window", "if (j < lo) keep", "if (j < 0) keep"),
                new Mutant("rms norm squares", "acc = _mm512_fmadd_ps(v, v, acc);", "acc = _mm512_add_ps(v, acc);"),
                new Mutant("silu sign", "out[i] = v / (1.0f + expf(-v)) * u[i];", "out[i] = v / (1.0f + expf(v)) * u[i];"));
        Path dir = Files.createTempDirectory("ggufc-mutants");
        try {
            for (Mutant m : mutants) {
                assertTrue(src.contains(m.from()), m.name() + ": the text to break is not in kernels.c any more");
                Path lib = dir.resolve(m.name().replace(' ', '-') + ".so");
                NativeKernels.build(src.replace(m.from(), m.to()), lib);
                NativeKernels broken = NativeKernels.load(lib);
                boolean caught = false;
                // one and several tokens (the one-token rows and the prompt tiles), one thread (whole row ranges) and two
                for (int i = 0; i < 16 && !caught; i++) {
                    long seed = i + 1;
                    Random r = new Random(seed);
                    int T = new int[] {1, 2, 4, 5}[i % 4], N = 8 + r.nextInt(24), threads = 1 + (i / 4) % 2;
                    caught = legacyMismatch(broken, DType.Q8_0, T, N, 1 + r.nextInt(6), threads, r.nextBoolean(), r.nextBoolean(), seed, false) != null
                            || legacyMismatch(broken, DType.Q4_0, T, N, 1 + r.nextInt(6), threads, r.nextBoolean(), r.nextBoolean(), seed, false) != null
                            || q4_kMismatch(broken, T, N, 1 + r.nextInt(2), threads, r.nextBoolean(), seed, false) != null
                            || T > 1 && multiTokenMismatch(broken, DType.Q8_0, T, N, threads, r.nextBoolean(), seed) != null
                            || T > 1 && multiTokenMismatch(broken, DType.Q4_K, T, N, threads, r.nextBoolean(), seed) != null
                            || attentionMismatch(broken, 1 + i % 3, 1 + i % 2, 16 + i, T, 20 + 3 * i, i % 3 == 0 ? 0 : 5 + i, seed) != null
                            || rmsNormMismatch(broken, 16 + 7 * i, 1 + i % 3, seed) != null
                            || siluGateMismatch(broken, 40 + i, seed) != null;
                }
                assertTrue(caught, m.name() + ": a broken kernel passed the checks");
                // and the same cases pass on the real kernels
                assertEquals(null, legacyMismatch(kernels(), DType.Q4_0, 3, 17, 5, 2, true, false, 7, false));
            }
        } finally {
            try (var s = Files.list(dir)) {
                for (Path f : s.toList()) Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void aT1AndAT4StepAgreeOnEveryRowCount() {
        // the row remainder paths (rows not a multiple of four) for both the one-token and the multi-token loops
        for (int N = 1; N <= 9; N++) assertEquals(null, multiTokenMismatch(kernels(), DType.Q4_0, 4, N, 1, N % 2 == 0, N));
    }
}
