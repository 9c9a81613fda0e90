package ggufc.codegen.vector.kernels;

import static ggufc.codegen.vector.kernels.Vec.F;
import static ggufc.codegen.vector.kernels.Vec.LANES;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * The KV cache and causal attention over it, vectorized across keys so that a head dimension
 * smaller than a vector (stories260K's 8) costs nothing extra.
 *
 * <p><b>Cache layout</b> (the vector target's own; only these kernels read or write it): positions
 * are grouped in blocks of {@link #KB} = 16, and a block stores its {@code rowLen = Hkv * Dh}
 * elements transposed, element-major: element {@code e} of position {@code p} is at index
 * {@code ((p / KB) * rowLen + e) * KB + p % KB}. So the 16 keys of a block for one (kv head, dim)
 * are one contiguous vector: a score block is {@code Dh} FMAs of a broadcast query element with a
 * key vector (no horizontal sum per key), and the weighted value sum is {@code Dh} FMAs of the
 * probability vector with value vectors. Capacity is rounded up to whole blocks ({@link #rows}).
 *
 * <p>Numerics follow the interpreter's attention: scores {@code (q . k) scale}, masked to keys
 * {@code j <= pos[t]} (and {@code j < L}; with a sliding window {@code w > 0} also {@code pos[t] - j < w}: only
 * the blocks from key {@code pos[t] - w + 1} on are read), softmax with the maximum subtracted, then the
 * probability-weighted sum of values; f32 accumulation throughout, exp by the Vector API. Where the
 * native kernels run ({@link NativeKernels}), an f32 cache without soft-capping is read by their C
 * version of {@link #headF32} (the same arithmetic; exp by the C library).
 */
public final class Attention {
    private Attention() {}

    /** Positions per cache block. */
    public static final int KB = 16;

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Cache rows to allocate for {@code capacity} positions (whole blocks). */
    public static long rows(int capacity) {
        return ((long) capacity + KB - 1) / KB * KB;
    }

    /** Index (in elements) of element {@code e} of position {@code p}. */
    static long index(int p, int e, int rowLen) {
        return ((long) (p / KB) * rowLen + e) * KB + p % KB;
    }

    /** Writes rows {@code x[t]} ({@code rowLen} floats each) to cache positions {@code pos[t]}. */
    public static void kvWrite(MemorySegment cache, boolean half, int capacity, int rowLen, float[] x, int xo, int[] pos, int T) {
        for (int s = 0; s < T; s++) {
            int p = pos[s];
            if (p < 0 || p >= capacity) throw new IllegalArgumentException("position " + p + " is outside the KV cache of " + capacity);
            long base = index(p, 0, rowLen);
            int xr = xo + s * rowLen;
            if (half) {
                for (int e = 0; e < rowLen; e++) cache.set(F16, 2 * (base + (long) e * KB), Float.floatToFloat16(x[xr + e]));
            } else {
                for (int e = 0; e < rowLen; e++) cache.set(F32, 4 * (base + (long) e * KB), x[xr + e]);
            }
        }
    }

    /** Key-length units of work below which one (token, kv head) pair is not worth a thread handoff. */
    private static final int GRAIN_WORK = 1 << 15;

    /**
     * Causal attention of {@code q[T, H, Dh]} over the caches {@code k, v} (layout above, {@code Hkv}
     * heads of {@code Dh}): query head h reads kv head {@code h / (H / Hkv)}; output {@code out[T, H, Dh]}.
     * Parallel over (token, kv head) pairs; the query heads sharing a kv head run together, so its
     * key and value blocks are read once from memory for all of them.
     */
    public static void attention(WorkerPool pool, float[] q, int qo, MemorySegment k, MemorySegment v, boolean half, int[] pos, int T, int L,
                                 int H, int Hkv, int Dh, float scale, float[] out, int oo) {
        attention(pool, q, qo, k, v, half, pos, T, L, H, Hkv, Dh, scale, 0, out, oo);
    }

    /** {@link #attention} with a sliding window of {@code window} keys ({@code 0}: none): query t sees keys {@code pos[t] - window < j <= pos[t]}. */
    public static void attention(WorkerPool pool, float[] q, int qo, MemorySegment k, MemorySegment v, boolean half, int[] pos, int T, int L,
                                 int H, int Hkv, int Dh, float scale, int window, float[] out, int oo) {
        attention(pool, q, qo, k, v, half, pos, T, L, H, Hkv, Dh, scale, window, 0f, out, oo);
    }

    /**
     * {@link #attention} with a sliding window and logit soft-capping ({@code softcap > 0}): each visible
     * score s becomes {@code softcap * tanh(s / softcap)} before the softmax (Gemma 2); {@code 0}: none.
     */
    public static void attention(WorkerPool pool, float[] q, int qo, MemorySegment k, MemorySegment v, boolean half, int[] pos, int T, int L,
                                 int H, int Hkv, int Dh, float scale, int window, float softcap, float[] out, int oo) {
        int group = H / Hkv;
        long work = (long) group * Dh * Math.max(1, L);
        int grain = (int) Math.max(1, GRAIN_WORK / work);
        NativeKernels nk = NativeKernels.active();
        if (nk != null && !half && softcap == 0 && k.isNative() && v.isNative()) {
            pool.run(T * Hkv, grain, (lo, hi, wk) -> nk.attention(q, qo, k, v, pos, L, H, Hkv, Dh, scale, window, lo, hi, out, oo));
            return;
        }
        pool.run(T * Hkv, grain, (lo, hi, wk) -> {
            float[] p = Scratch.floats(Scratch.ATTENTION, (int) rows(Math.max(1, L)));
            for (int u = lo; u < hi; u++) {
                int s = u / Hkv, kh = u % Hkv;
                int n = Math.min(L, pos[s] + 1), first = firstKey(pos[s], window);
                for (int g = 0; g < group; g++) {
                    int h = kh * group + g;
                    head(q, qo + (s * H + h) * Dh, k, v, half, first, n, Hkv * Dh, kh * Dh, Dh, scale, softcap, p, out, oo + (s * H + h) * Dh);
                }
            }
        });
    }

    /** The first key a query at {@code pos} sees with a sliding window of {@code window} keys (0: none). */
    public static int firstKey(int pos, int window) {
        return window > 0 ? Math.max(0, pos - window + 1) : 0;
    }

    /** One query head over keys {@code lo .. n - 1}: {@code e0} is the head's first element in a cache row of {@code rowLen}. */
    static void head(float[] q, int qb, MemorySegment k, MemorySegment v, boolean half, int lo, int n, int rowLen, int e0, int Dh, float scale,
                     float softcap, float[] p, float[] out, int ob) {
        if (n <= lo) {
            java.util.Arrays.fill(out, ob, ob + Dh, 0f);
            return;
        }
        if (!Vec.ENABLED) {
            scalarHead(q, qb, k, v, half, lo, n, rowLen, e0, Dh, scale, softcap, p, out, ob);
            return;
        }
        if (!half && LANES == KB) {
            headF32(q, qb, k, v, lo, n, rowLen, e0, Dh, scale, softcap, p, out, ob);
            return;
        }
        int nb = (n + KB - 1) / KB, b0 = lo / KB;
        long blockBytes = (long) rowLen * KB * (half ? 2 : 4);
        // scores, masked past n, and their maximum
        FloatVector maxv = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int b = b0; b < nb; b++) {
            long kb = b * blockBytes + (long) e0 * KB * (half ? 2 : 4);
            for (int l = 0; l < KB; l += LANES) {
                FloatVector acc = FloatVector.zero(F);
                for (int d = 0; d < Dh; d++) {
                    long off = kb + ((long) d * KB + l) * (half ? 2 : 4);
                    FloatVector kv = half ? Vec.halvesToFloats(k, off) : FloatVector.fromMemorySegment(F, k, off, LE);
                    acc = kv.fma(FloatVector.broadcast(F, q[qb + d]), acc);
                }
                acc = acc.mul(scale);
                int j = b * KB + l;
                if (j + LANES > n) acc = acc.blend(Float.NEGATIVE_INFINITY, F.indexInRange(j, n).not());
                if (j < lo) acc = acc.blend(Float.NEGATIVE_INFINITY, F.indexInRange(j, lo));
                acc.intoArray(p, j);
                maxv = maxv.max(acc);
            }
        }
        float max = softcap > 0 ? cap(p, lo, n, softcap) : maxv.reduceLanes(VectorOperators.MAX);
        FloatVector mv = FloatVector.broadcast(F, max), sumv = FloatVector.zero(F);
        int padded = nb * KB;
        for (int j = b0 * KB; j < padded; j += LANES) {
            FloatVector e = FloatVector.fromArray(F, p, j).sub(mv).lanewise(VectorOperators.EXP);
            e.intoArray(p, j);
            sumv = sumv.add(e);
        }
        float inv = 1f / Vec.sum(sumv);
        // weighted values: out[d] = sum_j p[j] v[j, e0 + d]
        for (int d = 0; d < Dh; d++) {
            FloatVector acc = FloatVector.zero(F);
            long vd = (long) (e0 + d) * KB * (half ? 2 : 4);
            for (int b = b0; b < nb; b++) {
                for (int l = 0; l < KB; l += LANES) {
                    long off = b * blockBytes + vd + (long) l * (half ? 2 : 4);
                    FloatVector vv = half ? Vec.halvesToFloats(v, off) : FloatVector.fromMemorySegment(F, v, off, LE);
                    acc = vv.fma(FloatVector.fromArray(F, p, b * KB + l), acc);
                }
            }
            out[ob + d] = Vec.sum(acc) * inv;
        }
    }

    /**
     * {@link #head} for an f32 cache when a vector is one key block (16 lanes): two blocks per
     * iteration share each broadcast query element and give the FMA chains room to overlap.
     */
    private static void headF32(float[] q, int qb, MemorySegment k, MemorySegment v, int lo, int n, int rowLen, int e0, int Dh, float scale,
                                float softcap, float[] p, float[] out, int ob) {
        int nb = (n + KB - 1) / KB, b0 = lo / KB;
        long blockBytes = (long) rowLen * KB * 4, head = (long) e0 * KB * 4;
        FloatVector maxv = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int b = b0;
        for (; b + 2 <= nb; b += 2) {
            long k0 = b * blockBytes + head, k1 = k0 + blockBytes;
            FloatVector a0 = FloatVector.zero(F), a1 = a0;
            for (int d = 0; d < Dh; d++) {
                FloatVector qd = FloatVector.broadcast(F, q[qb + d]);
                a0 = FloatVector.fromMemorySegment(F, k, k0 + 64L * d, LE).fma(qd, a0);
                a1 = FloatVector.fromMemorySegment(F, k, k1 + 64L * d, LE).fma(qd, a1);
            }
            maxv = maxv.max(scores(a0.mul(scale), b * KB, lo, n, p)).max(scores(a1.mul(scale), (b + 1) * KB, lo, n, p));
        }
        if (b < nb) {
            long k0 = b * blockBytes + head;
            FloatVector a0 = FloatVector.zero(F);
            for (int d = 0; d < Dh; d++) a0 = FloatVector.fromMemorySegment(F, k, k0 + 64L * d, LE).fma(FloatVector.broadcast(F, q[qb + d]), a0);
            maxv = maxv.max(scores(a0.mul(scale), b * KB, lo, n, p));
        }
        FloatVector mv = FloatVector.broadcast(F, softcap > 0 ? cap(p, lo, n, softcap) : maxv.reduceLanes(VectorOperators.MAX)), sumv = FloatVector.zero(F);
        for (int j = b0 * KB; j < nb * KB; j += KB) {
            FloatVector e = FloatVector.fromArray(F, p, j).sub(mv).lanewise(VectorOperators.EXP);
            e.intoArray(p, j);
            sumv = sumv.add(e);
        }
        float inv = 1f / Vec.sum(sumv);
        int d = 0;
        for (; d + 2 <= Dh; d += 2) {
            // two dims per pass share each probability load
            long vd = (long) (e0 + d) * KB * 4;
            FloatVector a0 = FloatVector.zero(F), a1 = a0;
            for (int c = b0; c < nb; c++) {
                FloatVector pc = FloatVector.fromArray(F, p, c * KB);
                long o = c * blockBytes + vd;
                a0 = FloatVector.fromMemorySegment(F, v, o, LE).fma(pc, a0);
                a1 = FloatVector.fromMemorySegment(F, v, o + 64, LE).fma(pc, a1);
            }
            out[ob + d] = Vec.sum(a0) * inv;
            out[ob + d + 1] = Vec.sum(a1) * inv;
        }
        if (d < Dh) {
            long vd = (long) (e0 + d) * KB * 4;
            FloatVector a0 = FloatVector.zero(F);
            for (int c = b0; c < nb; c++) a0 = FloatVector.fromMemorySegment(F, v, c * blockBytes + vd, LE).fma(FloatVector.fromArray(F, p, c * KB), a0);
            out[ob + d] = Vec.sum(a0) * inv;
        }
    }

    /** Soft-caps the visible scores {@code p[lo .. n - 1]} in place (the masked ones stay -inf); returns their maximum. */
    private static float cap(float[] p, int lo, int n, float softcap) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = lo; j < n; j++) max = Math.max(max, p[j] = Ops.softcap(p[j], softcap));
        return max;
    }

    /** Stores a block of scores at {@code p[j]}, keys before {@code lo} and from {@code n} on masked to -inf; returns what was stored. */
    private static FloatVector scores(FloatVector s, int j, int lo, int n, float[] p) {
        if (j + KB > n) s = s.blend(Float.NEGATIVE_INFINITY, F.indexInRange(j, n).not());
        if (j < lo) s = s.blend(Float.NEGATIVE_INFINITY, F.indexInRange(j, lo));
        s.intoArray(p, j);
        return s;
    }

    /** The same on the same layout, one element at a time (no usable vector shape). */
    static void scalarHead(float[] q, int qb, MemorySegment k, MemorySegment v, boolean half, int lo, int n, int rowLen, int e0, int Dh, float scale,
                           float softcap, float[] p, float[] out, int ob) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = lo; j < n; j++) {
            float s = 0;
            for (int d = 0; d < Dh; d++) s += q[qb + d] * load(k, half, index(j, e0 + d, rowLen));
            p[j] = softcap > 0 ? Ops.softcap(s * scale, softcap) : s * scale;
            max = Math.max(max, p[j]);
        }
        float sum = 0;
        for (int j = lo; j < n; j++) sum += p[j] = (float) Math.exp(p[j] - max);
        float inv = 1f / sum;
        for (int d = 0; d < Dh; d++) {
            float acc = 0;
            for (int j = lo; j < n; j++) acc += p[j] * load(v, half, index(j, e0 + d, rowLen));
            out[ob + d] = acc * inv;
        }
    }

    private static float load(MemorySegment c, boolean half, long i) {
        return half ? Float.float16ToFloat(c.get(F16, 2 * i)) : c.get(F32, 4 * i);
    }
}
