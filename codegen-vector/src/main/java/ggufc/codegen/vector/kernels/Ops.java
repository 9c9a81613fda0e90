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

    /** {@code out[i] = } the float whose bits are {@code bits[i]}, for {@code n} values (an f32 input travels as int bits). */
    public static void floatsFromBits(int[] bits, int n, float[] out) {
        if (bits.length < n) throw new IllegalArgumentException("an f32 input of " + bits.length + " values where the step reads " + n);
        for (int i = 0; i < n; i++) out[i] = Float.intBitsToFloat(bits[i]);
    }

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
        NativeKernels nk = NativeKernels.active();
        if (nk != null && w.isNative() && LANES == 16) {
            // the same arithmetic, compiled before the process starts (the Vector API's runs boxed until C2 has it)
            nk.rmsNorm(x, xo, w, D, eps, rows, out, oo);
            return;
        }
        rmsNormVector(x, xo, w, D, eps, rows, out, oo);
    }

    /** {@link #rmsNorm} on the Vector API (or scalar where there is none). */
    static void rmsNormVector(float[] x, int xo, MemorySegment w, int D, float eps, int rows, float[] out, int oo) {
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
                sum = Vec.sum(acc);
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
     * normal mode rotates (x[2i], x[2i+1]), neox (x[i], x[i + nRot/2]). {@code factors} (f32
     * [nRot/2], nullable) divides pair i's angle before the frequency scale, as ggml's rope_freqs.
     */
    public static void rope(float[] x, int xo, int[] pos, int T, int H, int Dh, int nRot, boolean neox, float base, float freqScale,
                            MemorySegment factors, float[] out, int oo) {
        int half = nRot / 2;
        RopeAngles angles = ROPE.get();
        for (int s = 0; s < T; s++) {
            angles.at(pos[s], nRot, base, freqScale, factors);
            float[] cos = angles.cos, sin = angles.sin;
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

    private static final ThreadLocal<RopeAngles> ROPE = ThreadLocal.withInitial(RopeAngles::new);

    /**
     * The cos/sin of one position's rotation angles, kept for the next call: a decode step rotates
     * q and k of every layer at the same position, so they are computed once per step.
     */
    private static final class RopeAngles {
        int pos = -1, nRot;
        float base, freqScale;
        MemorySegment factors;
        float[] cos = new float[0], sin = new float[0];

        void at(int p, int n, float b, float fs, MemorySegment ff) {
            if (p == pos && n == nRot && b == base && fs == freqScale && ff == factors) return;
            int half = n / 2;
            if (cos.length < half) {
                cos = new float[half];
                sin = new float[half];
            }
            float thetaScale = (float) Math.pow(b, -2.0f / n);
            float theta = p;
            for (int i = 0; i < half; i++) {
                float th = fs * (ff == null ? theta : theta / ff.get(ValueLayout.JAVA_FLOAT_UNALIGNED, 4L * i));
                cos[i] = (float) Math.cos(th);
                sin[i] = (float) Math.sin(th);
                theta *= thetaScale;
            }
            factors = ff;
            pos = p;
            nRot = n;
            base = b;
            freqScale = fs;
        }
    }

    // ---- KV cache and attention ----------------------------------------------------------------

    /** Writes rows {@code x[t]} to cache positions {@code pos[t]}; the cache layout is {@link Attention}'s. */
    public static void kvWrite(MemorySegment cache, boolean half, int capacity, int rowLen, float[] x, int xo, int[] pos, int T) {
        Attention.kvWrite(cache, half, capacity, rowLen, x, xo, pos, T);
    }

    /** Causal attention over the caches: see {@link Attention#attention}. */
    public static void attention(WorkerPool pool, float[] q, int qo, MemorySegment k, MemorySegment v, boolean half, int[] pos, int T, int L,
                                 int H, int Hkv, int Dh, float scale, float[] out, int oo) {
        Attention.attention(pool, q, qo, k, v, half, pos, T, L, H, Hkv, Dh, scale, out, oo);
    }

    /** Sliding-window attention over the caches ({@code window} keys; 0: none): see {@link Attention#attention}. */
    public static void attention(WorkerPool pool, float[] q, int qo, MemorySegment k, MemorySegment v, boolean half, int[] pos, int T, int L,
                                 int H, int Hkv, int Dh, float scale, int window, float[] out, int oo) {
        Attention.attention(pool, q, qo, k, v, half, pos, T, L, H, Hkv, Dh, scale, window, out, oo);
    }

    /** Attention with a sliding window and soft-capped scores ({@code softcap}: 0 none): see {@link Attention#attention}. */
    public static void attention(WorkerPool pool, float[] q, int qo, MemorySegment k, MemorySegment v, boolean half, int[] pos, int T, int L,
                                 int H, int Hkv, int Dh, float scale, int window, float softcap, float[] out, int oo) {
        Attention.attention(pool, q, qo, k, v, half, pos, T, L, H, Hkv, Dh, scale, window, softcap, out, oo);
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

    /**
     * {@code out[i] = a[i] + w[i % m]} ({@code mul}: {@code *}) for {@code i < n}, where {@code w} is an
     * f32 weight of {@code m} values (a bias, a per-channel scale) broadcast over the rows of {@code a}.
     */
    public static void binaryWeight(boolean mul, float[] a, int ao, MemorySegment w, int m, int n, float[] out, int oo) {
        for (int base = 0; base < n; base += m) {
            int i = 0;
            if (Vec.ENABLED) {
                for (; i + LANES <= m; i += LANES) {
                    FloatVector x = FloatVector.fromArray(F, a, ao + base + i), y = FloatVector.fromMemorySegment(F, w, 4L * i, ByteOrder.LITTLE_ENDIAN);
                    (mul ? x.mul(y) : x.add(y)).intoArray(out, oo + base + i);
                }
            }
            for (; i < m; i++) out[oo + base + i] = mul ? a[ao + base + i] * w.get(F32, 4L * i) : a[ao + base + i] + w.get(F32, 4L * i);
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

    /** {@code out[i] = cap * tanh(x[i] * (1 / cap))}: logit soft-capping (llama.cpp's scale, tanhf, scale). */
    public static void softcap(float[] x, int xo, float cap, int n, float[] out, int oo) {
        for (int i = 0; i < n; i++) out[oo + i] = softcap(x[xo + i], cap);
    }

    /** One soft-capped value, as {@link #softcap(float[], int, float, int, float[], int)}. */
    public static float softcap(float x, float cap) {
        return cap * (float) Math.tanh(x * (1.0f / cap));
    }

    public static void gelu(float[] x, int xo, int n, float[] out, int oo) {
        for (int i = 0; i < n; i++) out[oo + i] = gelu(x[xo + i]);
    }

    /** {@code out[i] = act(g[i]) * u[i]}: the gated product of a GLU (SiLU on the native kernels where they run). */
    public static void gatedAct(float[] g, int go, float[] u, int uo, int n, boolean gelu, float[] out, int oo) {
        NativeKernels nk = NativeKernels.active();
        if (nk != null && !gelu) {
            nk.siluGate(g, go, u, uo, n, out, oo);
            return;
        }
        int i = 0;
        if (Vec.ENABLED && !gelu) {
            for (; i + LANES <= n; i += LANES) {
                FloatVector gv = FloatVector.fromArray(F, g, go + i);
                act(gv, gelu).mul(FloatVector.fromArray(F, u, uo + i)).intoArray(out, oo + i);
            }
        }
        for (; i < n; i++) out[oo + i] = act(g[go + i], gelu) * u[uo + i];
    }

    /** SiLU or GELU of a vector (exp and tanh by the Vector API, within an ulp or two of Math's); GELU here is not ggml's (no f16 rounding). */
    static FloatVector act(FloatVector v, boolean gelu) {
        if (!gelu) return v.div(v.neg().lanewise(jdk.incubator.vector.VectorOperators.EXP).add(1f));
        final float c = 0.7978845608028654f;
        FloatVector inner = v.mul(v).mul(0.044715f).add(1f).mul(v).mul(c);
        return v.mul(0.5f).mul(inner.lanewise(jdk.incubator.vector.VectorOperators.TANH).add(1f));
    }

    static float act(float v, boolean gelu) { return gelu ? gelu(v) : silu(v); }

    public static float silu(float v) { return v / (1.0f + (float) Math.exp(-v)); }

    /** GELU as ggml's CPU backend (the IR's definition): the tanh approximation at f16(x), rounded to f16; 0 / x beyond -10 / 10. */
    public static float gelu(float x) {
        if (x <= -10f) return 0f;
        if (x >= 10f) return x;
        float h = Float.float16ToFloat(Float.floatToFloat16(x));
        final float c = 0.7978845608028654f;
        return Float.float16ToFloat(Float.floatToFloat16(0.5f * h * (1.0f + (float) Math.tanh(c * h * (1.0f + 0.044715f * h * h)))));
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
