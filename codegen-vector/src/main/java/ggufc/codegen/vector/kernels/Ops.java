package ggufc.codegen.vector.kernels;

import static ggufc.codegen.vector.kernels.Vec.F;
import static ggufc.codegen.vector.kernels.Vec.LANES;
import static jdk.incubator.vector.VectorOperators.ADD;

import ggufc.ir.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;

/**
 * The non-matmul kernels of a llama step: embedding lookup, RMS norm, rotary embedding, KV cache
 * writes, causal attention over the cache, elementwise ops and row copies. Each follows the
 * reference interpreter's definition of its op ({@code ggufc.ir.interp.Interpreter}), in float
 * rather than double where the interpreter accumulates in double.
 */
public final class Ops {
    private Ops() {}

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    // ---- lookups and norms ---------------------------------------------------------------------

    /** Rows {@code ids[0..T)} of {@code table[V, D]} (any dtype) into {@code out[oo + t D]}. */
    public static void embed(DType t, MemorySegment table, int V, int D, int[] ids, int T, float[] out, int oo) {
        long rowBytes = t.bytesFor(D);
        for (int s = 0; s < T; s++) {
            int id = ids[s];
            if (id < 0 || id >= V) throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + V);
            RowDecode.decode(t, table, id * rowBytes, out, oo + s * D, D);
        }
    }

    /** {@code out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * w} for {@code rows} rows of {@code D}; w is f32. */
    public static void rmsNorm(float[] x, int xo, MemorySegment w, int D, float eps, int rows, float[] out, int oo) {
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * D, or = oo + r * D;
            int i = 0;
            float sum = 0;
            if (Vec.ENABLED) {
                FloatVector acc = FloatVector.zero(F);
                for (; i + LANES <= D; i += LANES) {
                    FloatVector v = FloatVector.fromArray(F, x, xr + i);
                    acc = v.fma(v, acc);
                }
                sum = acc.reduceLanes(ADD);
            }
            for (; i < D; i++) sum += x[xr + i] * x[xr + i];
            float scale = (float) (1.0 / Math.sqrt(sum / D + eps));
            i = 0;
            if (Vec.ENABLED) {
                for (; i + LANES <= D; i += LANES) {
                    FloatVector.fromArray(F, x, xr + i).mul(scale).mul(FloatVector.fromMemorySegment(F, w, 4L * i, ByteOrder.LITTLE_ENDIAN)).intoArray(out, or + i);
                }
            }
            for (; i < D; i++) out[or + i] = (x[xr + i] * scale) * w.get(F32, 4L * i);
        }
    }

    // ---- positions -----------------------------------------------------------------------------

    /**
     * Rotary embedding of {@code x[T, H, Dh]} at positions {@code pos} (in place allowed): theta =
     * pos * freqScale * base^(-2i/nRot), the power built by repeated float multiplication like ggml;
     * normal mode rotates (x[2i], x[2i+1]), neox (x[i], x[i + nRot/2]).
     */
    public static void rope(float[] x, int xo, int[] pos, int T, int H, int Dh, int nRot, boolean neox, float base, float freqScale,
                            float[] out, int oo) {
        float thetaScale = (float) Math.pow(base, -2.0f / nRot);
        int half = nRot / 2;
        float[] cos = new float[half], sin = new float[half];
        for (int s = 0; s < T; s++) {
            float theta = pos[s];
            for (int i = 0; i < half; i++) {
                float th = freqScale * theta;
                cos[i] = (float) Math.cos(th);
                sin[i] = (float) Math.sin(th);
                theta *= thetaScale;
            }
            for (int h = 0; h < H; h++) {
                int xb = xo + (s * H + h) * Dh, ob = oo + (s * H + h) * Dh;
                if (ob != xb || x != out) System.arraycopy(x, xb, out, ob, Dh);
                for (int i = 0; i < half; i++) {
                    int a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
                    float x0 = x[xb + a], x1 = x[xb + b];
                    out[ob + a] = x0 * cos[i] - x1 * sin[i];
                    out[ob + b] = x0 * sin[i] + x1 * cos[i];
                }
            }
        }
    }

    // ---- KV cache and attention ----------------------------------------------------------------

    /** Writes rows {@code x[t]} ({@code rowLen} floats each) to cache rows {@code pos[t]} (f32 or f16 cache of {@code capacity} rows). */
    public static void kvWrite(MemorySegment cache, boolean half, int capacity, int rowLen, float[] x, int xo, int[] pos, int T) {
        for (int s = 0; s < T; s++) {
            int p = pos[s];
            if (p < 0 || p >= capacity) throw new IllegalArgumentException("position " + p + " is outside the KV cache of " + capacity);
            long base = (long) p * rowLen;
            if (half) {
                for (int i = 0; i < rowLen; i++) cache.set(F16, 2 * (base + i), Float.floatToFloat16(x[xo + s * rowLen + i]));
            } else {
                MemorySegment.copy(x, xo + s * rowLen, cache, F32, 4 * base, rowLen);
            }
        }
    }

    /**
     * Causal attention of {@code q[T, H, Dh]} over the first {@code L} rows of the caches
     * {@code k, v [C, Hkv, Dh]}: for token t and head h (reading kv head h / (H / Hkv)), keys
     * {@code j <= pos[t]} are scored {@code (q . k_j) scale}, softmaxed and used to weight the
     * values. Parallel over (token, head) pairs. Output {@code out[T, H, Dh]}.
     */
    public static void attention(WorkerPool pool, float[] q, int qo, MemorySegment k, MemorySegment v, boolean half, int[] pos, int T, int L,
                                 int H, int Hkv, int Dh, float scale, float[] out, int oo) {
        int group = H / Hkv;
        pool.run(T * H, 1, (lo, hi, wk) -> {
            float[] scores = ScalarDot.scratch(L);
            for (int th = lo; th < hi; th++) {
                int s = th / H, h = th % H, kh = h / group;
                int n = Math.min(L, pos[s] + 1);
                int qb = qo + (s * H + h) * Dh, ob = oo + (s * H + h) * Dh;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    long kb = ((long) j * Hkv + kh) * Dh;
                    float sc = (half ? dotHalf(q, qb, k, kb, Dh) : dotCache(q, qb, k, kb, Dh)) * scale;
                    scores[j] = sc;
                    if (sc > max) max = sc;
                }
                float sum = 0;
                for (int j = 0; j < n; j++) {
                    float e = (float) Math.exp(scores[j] - max);
                    scores[j] = e;
                    sum += e;
                }
                float inv = n == 0 ? 0f : 1f / sum;
                java.util.Arrays.fill(out, ob, ob + Dh, 0f);
                for (int j = 0; j < n; j++) {
                    long vb = ((long) j * Hkv + kh) * Dh;
                    float p = scores[j] * inv;
                    if (half) {
                        for (int i = 0; i < Dh; i++) out[ob + i] += p * Float.float16ToFloat(v.get(F16, 2 * (vb + i)));
                    } else {
                        axpyCache(p, v, vb, out, ob, Dh);
                    }
                }
            }
        });
    }

    private static float dotCache(float[] q, int qb, MemorySegment k, long kb, int Dh) {
        int i = 0;
        float s = 0;
        if (Vec.ENABLED && Dh >= LANES) {
            FloatVector acc = FloatVector.zero(F);
            for (; i + LANES <= Dh; i += LANES) acc = FloatVector.fromArray(F, q, qb + i).fma(FloatVector.fromMemorySegment(F, k, 4 * (kb + i), ByteOrder.LITTLE_ENDIAN), acc);
            s = acc.reduceLanes(ADD);
        }
        for (; i < Dh; i++) s += q[qb + i] * k.get(F32, 4 * (kb + i));
        return s;
    }

    private static float dotHalf(float[] q, int qb, MemorySegment k, long kb, int Dh) {
        float s = 0;
        for (int i = 0; i < Dh; i++) s += q[qb + i] * Float.float16ToFloat(k.get(F16, 2 * (kb + i)));
        return s;
    }

    private static void axpyCache(float p, MemorySegment v, long vb, float[] out, int ob, int Dh) {
        int i = 0;
        if (Vec.ENABLED && Dh >= LANES) {
            FloatVector pv = FloatVector.broadcast(F, p);
            for (; i + LANES <= Dh; i += LANES) {
                FloatVector.fromMemorySegment(F, v, 4 * (vb + i), ByteOrder.LITTLE_ENDIAN).fma(pv, FloatVector.fromArray(F, out, ob + i)).intoArray(out, ob + i);
            }
        }
        for (; i < Dh; i++) out[ob + i] += p * v.get(F32, 4 * (vb + i));
    }

    // ---- elementwise ---------------------------------------------------------------------------

    /** {@code out[i] = a[i] + b[i % m]} for {@code n} elements (b broadcast over a's leading dims). */
    public static void add(float[] a, int ao, float[] b, int bo, int m, int n, float[] out, int oo) {
        for (int base = 0; base < n; base += m) {
            int i = 0;
            if (Vec.ENABLED) {
                for (; i + LANES <= m; i += LANES) FloatVector.fromArray(F, a, ao + base + i).add(FloatVector.fromArray(F, b, bo + i)).intoArray(out, oo + base + i);
            }
            for (; i < m; i++) out[oo + base + i] = a[ao + base + i] + b[bo + i];
        }
    }

    /** {@code out[i] = a[i] * b[i % m]}. */
    public static void mul(float[] a, int ao, float[] b, int bo, int m, int n, float[] out, int oo) {
        for (int base = 0; base < n; base += m) {
            int i = 0;
            if (Vec.ENABLED) {
                for (; i + LANES <= m; i += LANES) FloatVector.fromArray(F, a, ao + base + i).mul(FloatVector.fromArray(F, b, bo + i)).intoArray(out, oo + base + i);
            }
            for (; i < m; i++) out[oo + base + i] = a[ao + base + i] * b[bo + i];
        }
    }

    public static void scale(float[] x, int xo, float f, int n, float[] out, int oo) {
        int i = 0;
        if (Vec.ENABLED) for (; i + LANES <= n; i += LANES) FloatVector.fromArray(F, x, xo + i).mul(f).intoArray(out, oo + i);
        for (; i < n; i++) out[oo + i] = x[xo + i] * f;
    }

    public static void silu(float[] x, int xo, int n, float[] out, int oo) {
        for (int i = 0; i < n; i++) out[oo + i] = silu(x[xo + i]);
    }

    public static void gelu(float[] x, int xo, int n, float[] out, int oo) {
        for (int i = 0; i < n; i++) out[oo + i] = gelu(x[xo + i]);
    }

    /** {@code out[i] = act(g[i]) * u[i]}: the gated product of a GLU. */
    public static void gatedAct(float[] g, int go, float[] u, int uo, int n, boolean gelu, float[] out, int oo) {
        for (int i = 0; i < n; i++) out[oo + i] = act(g[go + i], gelu) * u[uo + i];
    }

    static float act(float v, boolean gelu) { return gelu ? gelu(v) : silu(v); }

    public static float silu(float v) { return v / (1.0f + (float) Math.exp(-v)); }

    public static float gelu(float x) {
        final float c = 0.7978845608028654f;
        return 0.5f * x * (1.0f + (float) Math.tanh(c * x * (1.0f + 0.044715f * x * x)));
    }

    /** Softmax of each of {@code rows} rows of {@code D}. */
    public static void softmax(float[] x, int xo, int D, int rows, float[] out, int oo) {
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * D, or = oo + r * D;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < D; i++) max = Math.max(max, x[xr + i]);
            double sum = 0;
            for (int i = 0; i < D; i++) {
                float e = max == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp(x[xr + i] - max);
                out[or + i] = e;
                sum += e;
            }
            float inv = sum == 0 ? 0f : (float) (1.0 / sum);
            for (int i = 0; i < D; i++) out[or + i] *= inv;
        }
    }

    // ---- copies --------------------------------------------------------------------------------

    /** Columns {@code [col, col + width)} of {@code rows} rows of stride {@code srcStride} into a dense {@code [rows, width]}. */
    public static void sliceColumns(float[] x, int xo, int srcStride, int col, int width, int rows, float[] out, int oo) {
        for (int r = 0; r < rows; r++) System.arraycopy(x, xo + r * srcStride + col, out, oo + r * width, width);
    }

    public static void copy(float[] x, int xo, float[] out, int oo, int n) { System.arraycopy(x, xo, out, oo, n); }

    /** A float buffer of values (constants). */
    public static float[] constant(float... values) { return values.clone(); }
}
