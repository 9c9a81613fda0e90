package ggufc.codegen.vector.kernels;

import ggufc.ir.DType;
import java.lang.foreign.MemorySegment;

/**
 * Mixture-of-experts kernels: top-k routing, the gathers and renormalization of the routing
 * weights, the expert matmul ({@code matmul_id}) and the weighted sum over the selected experts,
 * with the interpreter's semantics. Expert ids live in f32 slots as whole numbers (exact below
 * 2^24): the vector target's buffers are all f32.
 *
 * <p>{@link #matmulId} reuses {@link MatMul}'s kernels on one expert's rows: expert {@code e} of a
 * {@code [E, M, N]} weight is rows {@code [e M, (e + 1) M)} of the {@code [E M, N]} matrix, a
 * slice of the mapped segment.
 */
public final class Moe {
    private Moe() {}

    /**
     * Indices of the {@code k} largest of each of {@code rows} rows of {@code n}, largest first; equal
     * values: the lower index first; a NaN only after every number. Written as floats.
     */
    public static void topk(float[] x, int xo, int n, int k, int rows, float[] out, int oo) {
        boolean[] taken = new boolean[n];
        for (int r = 0; r < rows; r++) {
            java.util.Arrays.fill(taken, false);
            int o = xo + r * n;
            for (int j = 0; j < k; j++) {
                int best = -1;
                for (int i = 0; i < n; i++) {
                    if (taken[i]) continue;
                    if (best < 0 || x[o + i] > x[o + best] || (Float.isNaN(x[o + best]) && !Float.isNaN(x[o + i]))) best = i;
                }
                taken[best] = true;
                out[oo + r * k + j] = best;
            }
        }
    }

    /** {@code out[r, j] = x[r, idx[r, j]]} for rows of {@code n} values and {@code k} indices. */
    public static void takeAlong(float[] x, int xo, int n, float[] idx, int io, int k, int rows, float[] out, int oo) {
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < k; j++) {
                int i = (int) idx[io + r * k + j];
                if (i < 0 || i >= n) throw new IllegalArgumentException("take_along: index " + i + " outside the last dim of " + n);
                out[oo + r * k + j] = x[xo + r * n + i];
            }
        }
    }

    /** {@code x / max(sum(x), min)} per row of {@code k}, the sum in double rounded to f32 once. */
    public static void sumNormalize(float[] x, int xo, int k, float min, int rows, float[] out, int oo) {
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            for (int j = 0; j < k; j++) sum += x[xo + r * k + j];
            float s = Math.max((float) sum, min);
            for (int j = 0; j < k; j++) out[oo + r * k + j] = x[xo + r * k + j] / s;
        }
    }

    /**
     * {@code out[t, s, :] = w[ids[t, s]] . x[t, s or t, :]} (times {@code scale[ids[t, s]]} when
     * {@code scale} is not null) for {@code T} tokens of {@code K} slots, a {@code [E, M, N]} weight
     * of dtype {@code wt}, activations rounded to {@code act} as {@link MatMul} does. {@code perSlot}:
     * x has one row per slot ([T, K, N]), else one per token ([T, N]). One token: a matvec per slot.
     * Several (a prompt): the rows of each expert's slots are gathered and go through one
     * {@code T_e}-token matmul, so the expert's weights are decoded once per tile for all of them.
     */
    public static void matmulId(WorkerPool pool, DType wt, DType act, MemorySegment w, int E, int M, int N, float[] x, int xo, boolean perSlot,
                                float[] ids, int io, int K, int T, MemorySegment scale, float[] out, int oo) {
        long expertBytes = (long) M * wt.bytesFor(N);
        int slots = T * K;
        int[] count = new int[E];
        for (int slot = 0; slot < slots; slot++) {
            int e = (int) ids[io + slot];
            if (e < 0 || e >= E) throw new IllegalArgumentException("matmul_id: expert id " + e + " outside the " + E + " experts");
            count[e]++;
        }
        if (T == 1) {
            for (int slot = 0; slot < slots; slot++) {
                int e = (int) ids[io + slot];
                MatMul.matmul(pool, wt, act, w.asSlice(e * expertBytes, expertBytes), N, M, x, xo + (perSlot ? slot : 0) * N, 1, out, oo + slot * M, M, null, 0);
                scaleRow(scale, e, out, oo + slot * M, M);
            }
            return;
        }
        int[] start = new int[E + 1];
        for (int e = 0; e < E; e++) start[e + 1] = start[e] + count[e];
        int[] order = new int[slots], next = start.clone();
        for (int slot = 0; slot < slots; slot++) order[next[(int) ids[io + slot]]++] = slot;
        int most = 0;
        for (int c : count) most = Math.max(most, c);
        float[] xs = Scratch.floats(Scratch.MOE_X, most * N), ys = Scratch.floats(Scratch.MOE_Y, most * M);
        for (int e = 0; e < E; e++) {
            int c = count[e];
            if (c == 0) continue;
            for (int i = 0; i < c; i++) {
                int slot = order[start[e] + i];
                System.arraycopy(x, xo + (perSlot ? slot : slot / K) * N, xs, i * N, N);
            }
            MatMul.matmul(pool, wt, act, w.asSlice(e * expertBytes, expertBytes), N, M, xs, 0, c, ys, 0, M, null, 0);
            for (int i = 0; i < c; i++) {
                int slot = order[start[e] + i];
                System.arraycopy(ys, i * M, out, oo + slot * M, M);
                scaleRow(scale, e, out, oo + slot * M, M);
            }
        }
    }

    private static void scaleRow(MemorySegment scale, int e, float[] out, int o, int m) {
        if (scale == null) return;
        float f = scale.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, e);
        for (int j = 0; j < m; j++) out[o + j] *= f;
    }

    /** {@code out[t, :] = sum_s w[t, s] * y[t, s, :]} in slot order, accumulated in f32. */
    public static void weightedSum(float[] y, int yo, float[] w, int wo, int K, int n, int T, float[] out, int oo) {
        for (int t = 0; t < T; t++) {
            int o = oo + t * n;
            for (int s = 0; s < K; s++) {
                float ws = w[wo + t * K + s];
                int yr = yo + (t * K + s) * n;
                if (s == 0) for (int i = 0; i < n; i++) out[o + i] = y[yr + i] * ws;
                else for (int i = 0; i < n; i++) out[o + i] += y[yr + i] * ws;
            }
        }
    }
}
