package ggufc.ir.quant;

import ggufc.ir.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Encoders and decoders for the ggml block layouts of {@link DType}: the meaning of a dtype's bytes,
 * independent of any file format.
 *
 * <p>{@link #quantize} reproduces llama.cpp's {@code quantize_row_*_ref} (ggml-quants.c) bit for bit,
 * including the K-quant scale searches ({@code make_qx_quants}, {@code make_q3_quants},
 * {@code make_qkx2_quants}), ggml's float to half conversion and its round-to-nearest-even bf16
 * conversion with quiet NaNs. Every float operation is done in float, in the order of the C
 * reference, with no fused multiply-add (ggml-base is built for plain SSE2, so neither side fuses);
 * where the C code converts a float to an 8-bit integer, the x86 truncating conversion is emulated
 * (NaN and out-of-range values become {@code 0x80000000} before the narrowing), so even degenerate
 * inputs give the reference's bytes. {@link #dequantize} reproduces {@code dequantize_row_*}.
 *
 * <p>Plain loops over scratch arrays allocated once per call: no allocation per element or block.
 * Fast kernels are generated elsewhere; this class is the definition they are checked against.
 */
public final class BlockCodecs {
    private BlockCodecs() {}

    private static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LEF32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Super-block size of the K-quants ({@code QK_K}). */
    public static final int QK_K = 256;
    /** {@code GROUP_MAX_EPS} of ggml-quants.c: below this a group counts as all zero. */
    private static final float GROUP_MAX_EPS = 1e-15f;

    // ---- scalar conversions ------------------------------------------------------------------

    /** IEEE half to float (exact); NaNs stay NaN with the quiet bit set, as x86 gives in ggml. */
    public static float f16ToF32(short h) {
        int bits = h & 0xffff;
        if ((bits & 0x7c00) == 0x7c00 && (bits & 0x03ff) != 0) {
            return Float.intBitsToFloat(((bits & 0x8000) << 16) | 0x7fc00000 | ((bits & 0x03ff) << 13));
        }
        return Float.float16ToFloat(h);
    }

    /**
     * Float to IEEE half, round to nearest even, overflow to infinity, as ggml's
     * {@code GGML_FP32_TO_FP16}; every NaN becomes {@code 0x7e00} with the input's sign.
     */
    public static short f32ToF16(float f) {
        if (f != f) return (short) (((Float.floatToRawIntBits(f) >>> 16) & 0x8000) | 0x7e00);
        return Float.floatToFloat16(f);
    }

    /** bfloat16 to float (exact). */
    public static float bf16ToF32(short h) {
        return Float.intBitsToFloat((h & 0xffff) << 16);
    }

    /**
     * Float to bfloat16 as ggml's {@code ggml_compute_fp32_to_bf16}: round to nearest even, NaNs
     * truncated and forced quiet; subnormals kept.
     */
    public static short f32ToBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) return (short) ((u >>> 16) | 64);
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }

    // ---- public entry points -----------------------------------------------------------------

    /**
     * Decodes {@code n} elements of dtype {@code t} starting at {@code byteOffset} of {@code src}
     * into {@code dst[dstOffset..dstOffset+n)}. {@code n} must be a multiple of the block size.
     */
    public static void dequantize(DType t, MemorySegment src, long byteOffset, float[] dst, int dstOffset, int n) {
        checkCount(t, n);
        if (dstOffset < 0 || dstOffset > dst.length - n) {
            throw new IndexOutOfBoundsException("dst range [" + dstOffset + ", " + ((long) dstOffset + n) + ") outside float[" + dst.length + "]");
        }
        long bytes = t.bytesFor(n);
        if (byteOffset < 0 || byteOffset > src.byteSize() - bytes) {
            throw new IndexOutOfBoundsException(t + ": " + bytes + " bytes at offset " + byteOffset + " outside a segment of " + src.byteSize() + " bytes");
        }
        switch (t) {
            case F32 -> {
                for (int i = 0; i < n; i++) dst[dstOffset + i] = src.get(LEF32, byteOffset + 4L * i);
            }
            case F16 -> {
                for (int i = 0; i < n; i++) dst[dstOffset + i] = f16ToF32(src.get(LE16, byteOffset + 2L * i));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) dst[dstOffset + i] = bf16ToF32(src.get(LE16, byteOffset + 2L * i));
            }
            default -> {
                int bs = t.blockSize(), bb = t.blockBytes();
                byte[] blk = new byte[bb];
                for (int b = 0; b < n / bs; b++) {
                    MemorySegment.copy(src, ValueLayout.JAVA_BYTE, byteOffset + (long) b * bb, blk, 0, bb);
                    int y = dstOffset + b * bs;
                    switch (t) {
                        case Q4_0 -> dqQ4_0(blk, dst, y);
                        case Q4_1 -> dqQ4_1(blk, dst, y);
                        case Q5_0 -> dqQ5_0(blk, dst, y);
                        case Q5_1 -> dqQ5_1(blk, dst, y);
                        case Q8_0 -> dqQ8(blk, 2, dst, y);
                        case Q8_1 -> dqQ8(blk, 4, dst, y);
                        case Q2_K -> dqQ2_K(blk, dst, y);
                        case Q3_K -> dqQ3_K(blk, dst, y);
                        case Q4_K -> dqQ4_K(blk, dst, y);
                        case Q5_K -> dqQ5_K(blk, dst, y);
                        case Q6_K -> dqQ6_K(blk, dst, y);
                        case Q8_K -> dqQ8_K(blk, dst, y);
                        default -> throw unsupported(t);
                    }
                }
            }
        }
    }

    /**
     * Encodes {@code src[srcOffset..srcOffset+n)} as dtype {@code t} at {@code byteOffset} of
     * {@code dst}, byte for byte as llama.cpp's {@code quantize_row_*_ref} (F16/BF16: ggml's
     * conversions; F32: a little-endian copy). {@code n} must be a multiple of the block size.
     */
    public static void quantize(DType t, float[] src, int srcOffset, int n, MemorySegment dst, long byteOffset) {
        checkCount(t, n);
        if (srcOffset < 0 || srcOffset > src.length - n) {
            throw new IndexOutOfBoundsException("src range [" + srcOffset + ", " + ((long) srcOffset + n) + ") outside float[" + src.length + "]");
        }
        long bytes = t.bytesFor(n);
        if (byteOffset < 0 || byteOffset > dst.byteSize() - bytes) {
            throw new IndexOutOfBoundsException(t + ": " + bytes + " bytes at offset " + byteOffset + " outside a segment of " + dst.byteSize() + " bytes");
        }
        switch (t) {
            case F32 -> {
                for (int i = 0; i < n; i++) dst.set(LEF32, byteOffset + 4L * i, src[srcOffset + i]);
            }
            case F16 -> {
                for (int i = 0; i < n; i++) dst.set(LE16, byteOffset + 2L * i, f32ToF16(src[srcOffset + i]));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) dst.set(LE16, byteOffset + 2L * i, f32ToBf16(src[srcOffset + i]));
            }
            default -> {
                int bs = t.blockSize(), bb = t.blockBytes();
                byte[] blk = new byte[bb];
                Scratch s = t.blockSize() == QK_K ? new Scratch() : null;
                for (int b = 0; b < n / bs; b++) {
                    java.util.Arrays.fill(blk, (byte) 0);
                    int x = srcOffset + b * bs;
                    switch (t) {
                        case Q4_0 -> qQ4_0(src, x, blk);
                        case Q4_1 -> qQ4_1(src, x, blk);
                        case Q5_0 -> qQ5_0(src, x, blk);
                        case Q5_1 -> qQ5_1(src, x, blk);
                        case Q8_0 -> qQ8_0(src, x, blk);
                        case Q8_1 -> qQ8_1(src, x, blk);
                        case Q2_K -> qQ2_K(src, x, blk, s);
                        case Q3_K -> qQ3_K(src, x, blk, s);
                        case Q4_K -> qQ45_K(src, x, blk, s, false);
                        case Q5_K -> qQ45_K(src, x, blk, s, true);
                        case Q6_K -> qQ6_K(src, x, blk, s);
                        case Q8_K -> qQ8_K(src, x, blk);
                        default -> throw unsupported(t);
                    }
                    MemorySegment.copy(blk, 0, dst, ValueLayout.JAVA_BYTE, byteOffset + (long) b * bb, bb);
                }
            }
        }
    }

    /** Whether {@link #quantize} and {@link #dequantize} handle {@code t}. */
    public static boolean supports(DType t) {
        return t != DType.I8 && t != DType.I32;
    }

    private static void checkCount(DType t, int n) {
        if (!supports(t)) throw unsupported(t);
        if (n < 0 || n % t.blockSize() != 0) {
            throw new IllegalArgumentException(n + " elements is not a multiple of the " + t + " block size " + t.blockSize());
        }
    }

    private static UnsupportedOperationException unsupported(DType t) {
        return new UnsupportedOperationException("no block codec for " + t + " (integer types are not quantized)");
    }

    // ---- C arithmetic helpers ----------------------------------------------------------------

    private static int u8(byte[] b, int i) { return b[i] & 0xff; }

    private static short le16(byte[] b, int i) { return (short) ((b[i] & 0xff) | (b[i + 1] << 8)); }

    private static void put16(byte[] b, int i, short v) {
        b[i] = (byte) v;
        b[i + 1] = (byte) (v >> 8);
    }

    private static float half(byte[] b, int i) { return f16ToF32(le16(b, i)); }

    private static void putHalf(byte[] b, int i, float f) { put16(b, i, f32ToF16(f)); }

    /** x86 {@code cvttss2si}: truncation toward zero; NaN and out-of-range give 0x80000000. */
    static int cvtt(float f) {
        if (f != f || f >= 2147483648f || f < -2147483648f) return Integer.MIN_VALUE;
        return (int) f;
    }

    /** C {@code roundf}: half away from zero. */
    static float roundf(float x) {
        if (x != x || Float.isInfinite(x)) return x;
        double a = Math.floor(Math.abs((double) x) + 0.5);
        return (float) Math.copySign(a, x);
    }

    /** ggml's {@code nearest_int}: the 1.5*2^23 bias trick (round half to even for |x| < 2^22). */
    static int nearestInt(float f) {
        int i = Float.floatToRawIntBits(f + 12582912f);
        return (i & 0x007fffff) - 0x00400000;
    }

    // ---- 32-element legacy quants --------------------------------------------------------------

    private static void qQ4_0(float[] x, int o, byte[] y) {
        float amax = 0, max = 0;
        for (int j = 0; j < 32; j++) {
            float v = x[o + j];
            if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }
        }
        float d = max / -8f;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(y, 0, d);
        for (int j = 0; j < 16; j++) {
            float x0 = x[o + j] * id, x1 = x[o + 16 + j] * id;
            int xi0 = Math.min(15, (byte) cvtt(x0 + 8.5f)) & 0xff;
            int xi1 = Math.min(15, (byte) cvtt(x1 + 8.5f)) & 0xff;
            y[2 + j] = (byte) (xi0 | (xi1 << 4));
        }
    }

    private static void qQ4_1(float[] x, int o, byte[] y) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[o + j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float d = (max - min) / 15f;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(y, 0, d);
        putHalf(y, 2, min);
        for (int j = 0; j < 16; j++) {
            float x0 = (x[o + j] - min) * id, x1 = (x[o + 16 + j] - min) * id;
            int xi0 = Math.min(15, (byte) cvtt(x0 + 0.5f)) & 0xff;
            int xi1 = Math.min(15, (byte) cvtt(x1 + 0.5f)) & 0xff;
            y[4 + j] = (byte) (xi0 | (xi1 << 4));
        }
    }

    private static void qQ5_0(float[] x, int o, byte[] y) {
        float amax = 0, max = 0;
        for (int j = 0; j < 32; j++) {
            float v = x[o + j];
            if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }
        }
        float d = max / -16f;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(y, 0, d);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            float x0 = x[o + j] * id, x1 = x[o + 16 + j] * id;
            int xi0 = Math.min(31, (byte) cvtt(x0 + 16.5f)) & 0xff;
            int xi1 = Math.min(31, (byte) cvtt(x1 + 16.5f)) & 0xff;
            y[6 + j] = (byte) ((xi0 & 0x0f) | ((xi1 & 0x0f) << 4));
            qh |= ((xi0 & 0x10) >>> 4) << j;
            qh |= ((xi1 & 0x10) >>> 4) << (j + 16);
        }
        for (int k = 0; k < 4; k++) y[2 + k] = (byte) (qh >>> (8 * k));
    }

    private static void qQ5_1(float[] x, int o, byte[] y) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[o + j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float d = (max - min) / 31f;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(y, 0, d);
        putHalf(y, 2, min);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            float x0 = (x[o + j] - min) * id, x1 = (x[o + 16 + j] - min) * id;
            int xi0 = cvtt(x0 + 0.5f) & 0xff;
            int xi1 = cvtt(x1 + 0.5f) & 0xff;
            y[8 + j] = (byte) ((xi0 & 0x0f) | ((xi1 & 0x0f) << 4));
            qh |= ((xi0 & 0x10) >>> 4) << j;
            qh |= ((xi1 & 0x10) >>> 4) << (j + 16);
        }
        for (int k = 0; k < 4; k++) y[4 + k] = (byte) (qh >>> (8 * k));
    }

    private static void qQ8_0(float[] x, int o, byte[] y) {
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            float a = Math.abs(x[o + j]);
            amax = amax > a ? amax : a;
        }
        float d = amax / 127f;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(y, 0, d);
        for (int j = 0; j < 32; j++) y[2 + j] = (byte) cvtt(roundf(x[o + j] * id));
    }

    private static void qQ8_1(float[] x, int o, byte[] y) {
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            float a = Math.abs(x[o + j]);
            amax = amax > a ? amax : a;
        }
        float d = amax / 127f;
        float id = d != 0 ? 1.0f / d : 0.0f;
        putHalf(y, 0, d);
        int sum = 0;
        for (int j = 0; j < 16; j++) {
            byte q0 = (byte) cvtt(roundf(x[o + j] * id));
            byte q1 = (byte) cvtt(roundf(x[o + 16 + j] * id));
            y[4 + j] = q0;
            y[4 + 16 + j] = q1;
            sum += q0;
            sum += q1;
        }
        putHalf(y, 2, sum * d);
    }

    private static void dqQ4_0(byte[] b, float[] y, int o) {
        float d = half(b, 0);
        for (int j = 0; j < 16; j++) {
            int q = u8(b, 2 + j);
            y[o + j] = ((q & 0x0f) - 8) * d;
            y[o + 16 + j] = ((q >>> 4) - 8) * d;
        }
    }

    private static void dqQ4_1(byte[] b, float[] y, int o) {
        float d = half(b, 0), m = half(b, 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(b, 4 + j);
            y[o + j] = (q & 0x0f) * d + m;
            y[o + 16 + j] = (q >>> 4) * d + m;
        }
    }

    private static int le32(byte[] b, int i) {
        return (b[i] & 0xff) | (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff) << 16 | (b[i + 3] & 0xff) << 24;
    }

    private static void dqQ5_0(byte[] b, float[] y, int o) {
        float d = half(b, 0);
        int qh = le32(b, 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(b, 6 + j);
            int h0 = ((qh >>> j) << 4) & 0x10, h1 = (qh >>> (j + 12)) & 0x10;
            y[o + j] = (((q & 0x0f) | h0) - 16) * d;
            y[o + 16 + j] = (((q >>> 4) | h1) - 16) * d;
        }
    }

    private static void dqQ5_1(byte[] b, float[] y, int o) {
        float d = half(b, 0), m = half(b, 2);
        int qh = le32(b, 4);
        for (int j = 0; j < 16; j++) {
            int q = u8(b, 8 + j);
            int h0 = ((qh >>> j) << 4) & 0x10, h1 = (qh >>> (j + 12)) & 0x10;
            y[o + j] = ((q & 0x0f) | h0) * d + m;
            y[o + 16 + j] = ((q >>> 4) | h1) * d + m;
        }
    }

    /** Q8_0 (quants at byte 2) and Q8_1 (at byte 4, after d and the unused sum s). */
    private static void dqQ8(byte[] b, int qs, float[] y, int o) {
        float d = half(b, 0);
        for (int j = 0; j < 32; j++) y[o + j] = b[qs + j] * d;
    }

    // ---- K-quants: shared scale searches (ggml-quants.c helpers) ----------------------------

    /** Per-call scratch for the super-block quantizers. */
    private static final class Scratch {
        final int[] L = new int[QK_K];
        final int[] laux = new int[32];
        final float[] weights = new float[32];
        final float[] scales = new float[QK_K / 16];
        final float[] mins = new float[QK_K / 16];
    }

    /**
     * {@code make_qx_quants} for {@code rmse_type == 1} without importance weights (the only use
     * by the reference quantizers): symmetric levels [-nmax, nmax-1] stored as l + nmax, scale by
     * a least-squares fit weighted by x², refined over 18 trial inverse scales.
     */
    private static float makeQxQuants(int n, int nmax, float[] x, int xo, int[] L, int lo) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) { amax = ax; max = x[xo + i]; }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xo + i];
            int l = clamp(nearestInt(iscale * xi), -nmax, nmax - 1);
            L[lo + i] = l + nmax;
            float w = xi * xi;
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xo + i];
                int l = clamp(nearestInt(iscale * xi), -nmax, nmax - 1);
                float w = xi * xi;
                sumlx += w * xi * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) {
                    L[lo + i] = nmax + clamp(nearestInt(iscale * x[xo + i]), -nmax, nmax - 1);
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /** {@code make_q3_quants} with {@code do_rmse}: coordinate-descent refinement of the levels. */
    private static float makeQ3Quants(int n, int nmax, float[] x, int xo, int[] L, int lo) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) { amax = ax; max = x[xo + i]; }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xo + i];
            int l = clamp(nearestInt(iscale * xi), -nmax, nmax - 1);
            L[lo + i] = l;
            float w = xi * xi;
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        for (int itry = 0; itry < 5; itry++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xo + i];
                float w = xi * xi;
                float slx = sumlx - w * xi * L[lo + i];
                if (slx > 0) {
                    float sl2 = suml2 - w * L[lo + i] * L[lo + i];
                    int newL = clamp(nearestInt(xi * sl2 / slx), -nmax, nmax - 1);
                    if (newL != L[lo + i]) {
                        slx += w * xi * newL;
                        sl2 += w * newL * newL;
                        if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                            L[lo + i] = newL;
                            sumlx = slx;
                            suml2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) break;
        }
        for (int i = 0; i < n; i++) L[lo + i] += nmax;
        return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
    }

    /**
     * {@code make_qkx2_quants}: asymmetric levels [0, nmax] with a min; grid search over
     * {@code nstep+1} inverse scales with a weighted least-squares (scale, min) fit each.
     * Returns the scale; stores {@code -min} in {@code mins[mi]}.
     */
    private static float makeQkx2Quants(int n, int nmax, float[] x, int xo, float[] weights, int[] L, int lo,
                                        float[] mins, int mi, int[] laux, float rmin, float rdelta, int nstep, boolean useMad) {
        float min = x[xo], max = x[xo];
        float sumW = weights[0];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; i++) {
            float xi = x[xo + i];
            if (xi < min) min = xi;
            if (xi > max) max = xi;
            float w = weights[i];
            sumW += w;
            sumX += w * xi;
        }
        if (min > 0) min = 0;
        if (max == min) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            mins[mi] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = nearestInt(iscale * (x[xo + i] - min));
            L[lo + i] = clamp(l, 0, nmax);
            float diff = scale * L[lo + i] + min - x[xo + i];
            diff = useMad ? Math.abs(diff) : diff * diff;
            bestError += weights[i] * diff;
        }
        if (nstep < 1) {
            mins[mi] = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = clamp(nearestInt(iscale * (x[xo + i] - min)), 0, nmax);
                laux[i] = l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[xo + i];
            }
            float D = sumW * sumL2 - sumL * sumL;
            if (D > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / D;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / D;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * laux[i] + thisMin - x[xo + i];
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    curError += weights[i] * diff;
                }
                if (curError < bestError) {
                    System.arraycopy(laux, 0, L, lo, n);
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        mins[mi] = -min;
        return scale;
    }

    private static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    // ---- Q2_K: 16 groups of 16, 2-bit levels, 4-bit scales and mins ------------------------------
    // layout: scales[16] @0 (low nibble scale, high nibble min), qs[64] @16, d @80, dmin @82

    private static void qQ2_K(float[] x, int o, byte[] y, Scratch s) {
        int[] L = s.L;
        float[] w = s.weights, scales = s.scales, mins = s.mins;
        final float q4scale = 15f;
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 16; j++) {
            for (int l = 0; l < 16; l++) w[l] = Math.abs(x[o + 16 * j + l]);
            scales[j] = makeQkx2Quants(16, 3, x, o + 16 * j, w, L, 16 * j, mins, j, s.laux, -0.5f, 0.1f, 15, true);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        if (maxScale > 0) {
            float iscale = q4scale / maxScale;
            for (int j = 0; j < 16; j++) y[j] = (byte) nearestInt(iscale * scales[j]);
            putHalf(y, 80, maxScale / q4scale);
        } else {
            for (int j = 0; j < 16; j++) y[j] = 0;
            putHalf(y, 80, 0f);
        }
        if (maxMin > 0) {
            float iscale = q4scale / maxMin;
            for (int j = 0; j < 16; j++) y[j] |= (byte) (nearestInt(iscale * mins[j]) << 4);
            putHalf(y, 82, maxMin / q4scale);
        } else {
            putHalf(y, 82, 0f);
        }
        float dAll = half(y, 80), dminAll = half(y, 82);
        for (int j = 0; j < 16; j++) {
            float d = dAll * (u8(y, j) & 0xf);
            if (d == 0) continue;
            float dm = dminAll * (u8(y, j) >>> 4);
            for (int ii = 0; ii < 16; ii++) {
                L[16 * j + ii] = clamp(nearestInt((x[o + 16 * j + ii] + dm) / d), 0, 3);
            }
        }
        for (int j = 0; j < QK_K; j += 128) {
            for (int l = 0; l < 32; l++) {
                y[16 + j / 4 + l] = (byte) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
            }
        }
    }

    private static void dqQ2_K(byte[] b, float[] y, int o) {
        float d = half(b, 80), min = half(b, 82);
        int is = 0, q = 16;
        for (int n = 0; n < QK_K; n += 128) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int half = 0; half < 2; half++) {
                    int sc = u8(b, is++);
                    float dl = d * (sc & 0xf), ml = min * (sc >>> 4);
                    for (int l = 0; l < 16; l++) y[o++] = dl * ((u8(b, q + 16 * half + l) >>> shift) & 3) - ml;
                }
            }
            q += 32;
        }
    }

    // ---- Q3_K: 16 groups of 16, 3-bit levels (2 low bits + high-bit mask), 6-bit signed scales --
    // layout: hmask[32] @0, qs[64] @32, scales[12] @96, d @108

    /** The j-th 6-bit Q3_K scale (0..63, stored with a +32 bias). */
    private static int q3Scale(byte[] y, int j) {
        int lo = j < 8 ? u8(y, 96 + j) & 0xf : u8(y, 96 + j - 8) >>> 4;
        int hi = (u8(y, 96 + 8 + (j & 3)) >>> (2 * (j >>> 2))) & 3;
        return lo | (hi << 4);
    }

    private static void qQ3_K(float[] x, int o, byte[] y, Scratch s) {
        int[] L = s.L;
        float[] scales = s.scales;
        float maxScale = 0, amax = 0;
        for (int j = 0; j < 16; j++) {
            scales[j] = makeQ3Quants(16, 4, x, o + 16 * j, L, 16 * j);
            float sc = Math.abs(scales[j]);
            if (sc > amax) { amax = sc; maxScale = scales[j]; }
        }
        // scales[12] is already zero (the block buffer starts cleared)
        if (maxScale != 0) {
            float iscale = -32f / maxScale;
            for (int j = 0; j < 16; j++) {
                int l = (byte) nearestInt(iscale * scales[j]);
                l = clamp(l, -32, 31) + 32;
                if (j < 8) y[96 + j] = (byte) (l & 0xf);
                else y[96 + j - 8] |= (byte) ((l & 0xf) << 4);
                l >>= 4;
                y[96 + 8 + j % 4] |= (byte) (l << (2 * (j / 4)));
            }
            putHalf(y, 108, 1 / iscale);
        } else {
            putHalf(y, 108, 0f);
        }
        float dAll = half(y, 108);
        for (int j = 0; j < 16; j++) {
            float d = dAll * (q3Scale(y, j) - 32);
            if (d == 0) continue;
            for (int ii = 0; ii < 16; ii++) {
                L[16 * j + ii] = clamp(nearestInt(x[o + 16 * j + ii] / d), -4, 3) + 4;
            }
        }
        int m = 0, hm = 1;
        for (int j = 0; j < QK_K; j++) {
            if (L[j] > 3) {
                y[m] |= (byte) hm;
                L[j] -= 4;
            }
            if (++m == QK_K / 8) { m = 0; hm <<= 1; }
        }
        for (int j = 0; j < QK_K; j += 128) {
            for (int l = 0; l < 32; l++) {
                y[32 + j / 4 + l] = (byte) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
            }
        }
    }

    private static void dqQ3_K(byte[] b, float[] y, int o) {
        float dAll = half(b, 108);
        int is = 0, q = 32, m = 1;
        for (int n = 0; n < QK_K; n += 128) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int half = 0; half < 2; half++) {
                    float dl = dAll * (q3Scale(b, is++) - 32);
                    for (int l = 0; l < 16; l++) {
                        int k = 16 * half + l;
                        int v = ((u8(b, q + k) >>> shift) & 3) - ((u8(b, k) & m) != 0 ? 0 : 4);
                        y[o++] = dl * v;
                    }
                }
                m <<= 1;
            }
            q += 32;
        }
    }

    // ---- Q4_K / Q5_K: 8 groups of 32, 4/5-bit levels, 6-bit scales and mins ---------------------
    // layout: d @0, dmin @2, scales[12] @4, Q5_K: qh[32] @16, qs[128] @48; Q4_K: qs[128] @16

    /** ggml's {@code get_scale_min_k4}: scale in the low 8 bits of the result, min in bits 8..15. */
    private static int scaleMinK4(byte[] b, int j) {
        int sc, m;
        if (j < 4) {
            sc = u8(b, 4 + j) & 63;
            m = u8(b, 4 + j + 4) & 63;
        } else {
            sc = (u8(b, 4 + j + 4) & 0xf) | ((u8(b, 4 + j - 4) >>> 6) << 4);
            m = (u8(b, 4 + j + 4) >>> 4) | ((u8(b, 4 + j) >>> 6) << 4);
        }
        return sc | (m << 8);
    }

    private static void qQ45_K(float[] x, int o, byte[] y, Scratch s, boolean five) {
        int[] L = s.L;
        float[] w = s.weights, scales = s.scales, mins = s.mins;
        int nmax = five ? 31 : 15;
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 8; j++) {
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) sumX2 += x[o + 32 * j + l] * x[o + 32 * j + l];
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) w[l] = avX + Math.abs(x[o + 32 * j + l]);
            scales[j] = five
                    ? makeQkx2Quants(32, 31, x, o + 32 * j, w, L, 32 * j, mins, j, s.laux, -0.5f, 0.1f, 15, false)
                    : makeQkx2Quants(32, 15, x, o + 32 * j, w, L, 32 * j, mins, j, s.laux, -1.f, 0.1f, 20, false);
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
        float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
        for (int j = 0; j < 8; j++) {
            int ls = Math.min(63, nearestInt(invScale * scales[j]) & 0xff);
            int lm = Math.min(63, nearestInt(invMin * mins[j]) & 0xff);
            if (j < 4) {
                y[4 + j] = (byte) ls;
                y[4 + j + 4] = (byte) lm;
            } else {
                y[4 + j + 4] = (byte) ((ls & 0xf) | ((lm & 0xf) << 4));
                y[4 + j - 4] |= (byte) ((ls >>> 4) << 6);
                y[4 + j] |= (byte) ((lm >>> 4) << 6);
            }
        }
        putHalf(y, 0, maxScale / 63.f);
        putHalf(y, 2, maxMin / 63.f);
        float dAll = half(y, 0), dminAll = half(y, 2);
        for (int j = 0; j < 8; j++) {
            int sm = scaleMinK4(y, j);
            float d = dAll * (sm & 0xff);
            if (d == 0) continue;
            float dm = dminAll * (sm >>> 8);
            for (int ii = 0; ii < 32; ii++) {
                L[32 * j + ii] = clamp(nearestInt((x[o + 32 * j + ii] + dm) / d), 0, nmax);
            }
        }
        if (!five) {
            for (int j = 0, q = 16; j < QK_K; j += 64, q += 32) {
                for (int l = 0; l < 32; l++) y[q + l] = (byte) (L[j + l] | (L[j + l + 32] << 4));
            }
            return;
        }
        int m1 = 1, m2 = 2;
        for (int n = 0, ql = 48; n < QK_K; n += 64, ql += 32) {
            for (int j = 0; j < 32; j++) {
                int l1 = L[n + j];
                if (l1 > 15) { l1 -= 16; y[16 + j] |= (byte) m1; }
                int l2 = L[n + j + 32];
                if (l2 > 15) { l2 -= 16; y[16 + j] |= (byte) m2; }
                y[ql + j] = (byte) (l1 | (l2 << 4));
            }
            m1 <<= 2;
            m2 <<= 2;
        }
    }

    private static void dqQ4_K(byte[] b, float[] y, int o) {
        float d = half(b, 0), min = half(b, 2);
        for (int j = 0, is = 0, q = 16; j < QK_K; j += 64, is += 2, q += 32) {
            int sm1 = scaleMinK4(b, is), sm2 = scaleMinK4(b, is + 1);
            float d1 = d * (sm1 & 0xff), m1 = min * (sm1 >>> 8);
            float d2 = d * (sm2 & 0xff), m2 = min * (sm2 >>> 8);
            for (int l = 0; l < 32; l++) y[o++] = d1 * (u8(b, q + l) & 0xf) - m1;
            for (int l = 0; l < 32; l++) y[o++] = d2 * (u8(b, q + l) >>> 4) - m2;
        }
    }

    private static void dqQ5_K(byte[] b, float[] y, int o) {
        float d = half(b, 0), min = half(b, 2);
        int u1 = 1, u2 = 2;
        for (int j = 0, is = 0, ql = 48; j < QK_K; j += 64, is += 2, ql += 32) {
            int sm1 = scaleMinK4(b, is), sm2 = scaleMinK4(b, is + 1);
            float d1 = d * (sm1 & 0xff), m1 = min * (sm1 >>> 8);
            float d2 = d * (sm2 & 0xff), m2 = min * (sm2 >>> 8);
            for (int l = 0; l < 32; l++) y[o++] = d1 * ((u8(b, ql + l) & 0xf) + ((u8(b, 16 + l) & u1) != 0 ? 16 : 0)) - m1;
            for (int l = 0; l < 32; l++) y[o++] = d2 * ((u8(b, ql + l) >>> 4) + ((u8(b, 16 + l) & u2) != 0 ? 16 : 0)) - m2;
            u1 <<= 2;
            u2 <<= 2;
        }
    }

    // ---- Q6_K: 16 groups of 16, 6-bit levels, 8-bit signed scales -------------------------------
    // layout: ql[128] @0, qh[64] @128, scales[16] (int8) @192, d @208

    private static void qQ6_K(float[] x, int o, byte[] y, Scratch s) {
        int[] L = s.L;
        float[] scales = s.scales;
        float maxScale = 0, maxAbsScale = 0;
        for (int ib = 0; ib < 16; ib++) {
            float scale = makeQxQuants(16, 32, x, o + 16 * ib, L, 16 * ib);
            scales[ib] = scale;
            float abs = Math.abs(scale);
            if (abs > maxAbsScale) { maxAbsScale = abs; maxScale = scale; }
        }
        if (maxAbsScale < GROUP_MAX_EPS) {
            java.util.Arrays.fill(y, (byte) 0); // the whole block, d = fp16(0) = 0
            return;
        }
        float iscale = -128.f / maxScale;
        putHalf(y, 208, 1 / iscale);
        for (int ib = 0; ib < 16; ib++) y[192 + ib] = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
        float dAll = half(y, 208);
        for (int j = 0; j < 16; j++) {
            float d = dAll * y[192 + j];
            if (d == 0) continue;
            for (int ii = 0; ii < 16; ii++) {
                L[16 * j + ii] = clamp(nearestInt(x[o + 16 * j + ii] / d), -32, 31) + 32;
            }
        }
        for (int j = 0, ql = 0, qh = 128; j < QK_K; j += 128, ql += 64, qh += 32) {
            for (int l = 0; l < 32; l++) {
                int q1 = L[j + l] & 0xf, q2 = L[j + l + 32] & 0xf, q3 = L[j + l + 64] & 0xf, q4 = L[j + l + 96] & 0xf;
                y[ql + l] = (byte) (q1 | (q3 << 4));
                y[ql + l + 32] = (byte) (q2 | (q4 << 4));
                y[qh + l] = (byte) ((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
            }
        }
    }

    private static void dqQ6_K(byte[] b, float[] y, int o) {
        float d = half(b, 208);
        for (int n = 0, ql = 0, qh = 128, sc = 192; n < QK_K; n += 128, ql += 64, qh += 32, sc += 8) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int h = u8(b, qh + l);
                int q1 = ((u8(b, ql + l) & 0xf) | ((h & 3) << 4)) - 32;
                int q2 = ((u8(b, ql + l + 32) & 0xf) | (((h >>> 2) & 3) << 4)) - 32;
                int q3 = ((u8(b, ql + l) >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                int q4 = ((u8(b, ql + l + 32) >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                y[o + n + l] = d * b[sc + is] * q1;
                y[o + n + l + 32] = d * b[sc + is + 2] * q2;
                y[o + n + l + 64] = d * b[sc + is + 4] * q3;
                y[o + n + l + 96] = d * b[sc + is + 6] * q4;
            }
        }
    }

    // ---- Q8_K: float d, 256 int8 quants, 16 int16 group sums (an activation format) -----------
    // layout: d (f32) @0, qs[256] @4, bsums[16] (int16) @260

    private static void qQ8_K(float[] x, int o, byte[] y) {
        float max = 0, amax = 0;
        for (int j = 0; j < QK_K; j++) {
            float ax = Math.abs(x[o + j]);
            if (ax > amax) { amax = ax; max = x[o + j]; }
        }
        if (amax == 0) return; // all zero (ggml leaves bsums unwritten; ours are zero, their true value)
        float iscale = -127.f / max;
        for (int j = 0; j < QK_K; j++) y[4 + j] = (byte) Math.min(127, nearestInt(iscale * x[o + j]));
        for (int j = 0; j < 16; j++) {
            int sum = 0;
            for (int ii = 0; ii < 16; ii++) sum += y[4 + 16 * j + ii];
            put16(y, 260 + 2 * j, (short) sum);
        }
        int d = Float.floatToRawIntBits(1 / iscale);
        for (int k = 0; k < 4; k++) y[k] = (byte) (d >>> (8 * k));
    }

    private static void dqQ8_K(byte[] b, float[] y, int o) {
        float d = Float.intBitsToFloat(le32(b, 0));
        for (int j = 0; j < QK_K; j++) y[o + j] = d * b[4 + j];
    }
}
