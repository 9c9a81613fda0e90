package ggufc.codegen.vector.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Causal attention over the blocked KV cache against the definition computed in double from the
 * rows as written (f16 caches: from their half-rounded values): random head counts with GQA,
 * head dims below, at and above a vector (tails included), prompt and decode steps at random
 * depths across block boundaries, 1-3 threads, with and without a sliding window (0: none; 1-40 keys,
 * so that windows start inside, at and across cache blocks), with and without soft-capped scores (0: none;
 * 0.5, 2, 20: softcap * tanh(score / softcap)); the vector kernel and the scalar fallback.
 */
class AttentionProperties {

    @Property(tries = 200)
    void attentionMatchesTheDefinition(@ForAll @IntRange(min = 1, max = 4) int Hkv, @ForAll @IntRange(min = 1, max = 4) int group,
                                       @ForAll @IntRange(min = 1, max = 70) int Dh, @ForAll @IntRange(min = 1, max = 5) int T,
                                       @ForAll @IntRange(min = 0, max = 60) int start, @ForAll @IntRange(min = 1, max = 3) int threads,
                                       @ForAll boolean half, @ForAll @IntRange(min = 0, max = 40) int window, @ForAll @IntRange(min = 0, max = 3) int capIndex,
                                       @ForAll long seed) {
        Random rnd = new Random(seed);
        // soft-capped scores (Gemma 2): none, caps that bend unit-size scores hard, a little, and barely
        float softcap = new float[] {0f, 0.5f, 2f, 20f}[capIndex];
        int H = Hkv * group, rowLen = Hkv * Dh, L = start + T, capacity = L + rnd.nextInt(20);
        float scale = (float) (1 / Math.sqrt(Dh));
        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(threads, true)) {
            MemorySegment k = arena.allocate(Attention.rows(capacity) * rowLen * 4), v = arena.allocate(Attention.rows(capacity) * rowLen * 4);
            float[] keys = random(L * rowLen, rnd), values = random(L * rowLen, rnd);
            int[] all = new int[L];
            for (int j = 0; j < L; j++) all[j] = j;
            Attention.kvWrite(k, half, capacity, rowLen, keys, 0, all, L);
            Attention.kvWrite(v, half, capacity, rowLen, values, 0, all, L);
            if (half) {
                round(keys);
                round(values);
            }
            int[] pos = new int[T];
            for (int t = 0; t < T; t++) pos[t] = start + t;
            float[] q = random(T * H * Dh, rnd), out = new float[T * H * Dh + 3];
            Attention.attention(pool, q, 0, k, v, half, pos, T, L, H, Hkv, Dh, scale, window, softcap, out, 3);
            float[] p = new float[(int) Attention.rows(L)], scalar = new float[Dh];
            for (int t = 0; t < T; t++) {
                for (int h = 0; h < H; h++) {
                    int lo = window > 0 ? Math.max(0, pos[t] - window + 1) : 0;
                    double[] want = reference(q, (t * H + h) * Dh, keys, values, lo, pos[t] + 1, rowLen, (h / group) * Dh, Dh, scale, softcap);
                    Attention.scalarHead(q, (t * H + h) * Dh, k, v, half, lo, pos[t] + 1, rowLen, (h / group) * Dh, Dh, scale, softcap, p, scalar, 0);
                    for (int d = 0; d < Dh; d++) {
                        String what = "token " + t + " head " + h + " dim " + d + " (H " + H + ", Hkv " + Hkv + ", Dh " + Dh + ", pos " + pos[t] + ", window " + window + ", softcap " + softcap + ")";
                        assertEquals(want[d], out[3 + (t * H + h) * Dh + d], 2e-5, "vector " + what);
                        assertEquals(want[d], scalar[d], 2e-5, "scalar " + what);
                    }
                }
            }
        }
    }

    /** The definition over keys {@code lo .. n - 1}, written independently of the kernel's window arithmetic by the caller. */
    private static double[] reference(float[] q, int qb, float[] keys, float[] values, int lo, int n, int rowLen, int e0, int Dh, float scale, float softcap) {
        double[] s = new double[n];
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int j = lo; j < n; j++) {
            double dot = 0;
            for (int d = 0; d < Dh; d++) dot += (double) q[qb + d] * keys[j * rowLen + e0 + d];
            s[j] = softcap > 0 ? softcap * Math.tanh(dot * scale / softcap) : dot * scale;
            max = Math.max(max, s[j]);
        }
        for (int j = lo; j < n; j++) sum += s[j] = Math.exp(s[j] - max);
        double[] out = new double[Dh];
        for (int j = lo; j < n; j++) for (int d = 0; d < Dh; d++) out[d] += s[j] / sum * values[j * rowLen + e0 + d];
        return out;
    }

    private static float[] random(int n, Random rnd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    private static void round(float[] x) {
        for (int i = 0; i < x.length; i++) x[i] = Float.float16ToFloat(Float.floatToFloat16(x[i]));
    }
}
