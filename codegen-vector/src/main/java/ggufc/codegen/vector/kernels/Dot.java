package ggufc.codegen.vector.kernels;

import static ggufc.codegen.vector.kernels.Vec.B;
import static ggufc.codegen.vector.kernels.Vec.F;
import static ggufc.codegen.vector.kernels.Vec.LANES;
import static ggufc.codegen.vector.kernels.Vec.LE;
import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;

import ggufc.ir.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Dot products of one weight row, read directly from its GGUF blocks, with an f32 activation row:
 * no dequantized copy of the weight exists anywhere. Blocks are decoded into vector registers and
 * multiplied with the activations by FMA; per-block offsets ({@code -8} of Q4_0, the min of Q4_1 and
 * the K-quants, ...) are applied once per block through precomputed activation group sums
 * ({@link #groupSums}), since {@code sum((q - 8) x) = sum(q x) - 8 sum(x)}.
 *
 * <p>Each method takes the row's byte offset {@code off}, the activations {@code x[xo .. xo+k)} and,
 * where needed, their group sums {@code xs} (index 0 = the group at {@code xo}). The scalar
 * definition of every kernel is {@link ScalarDot}.
 */
public final class Dot {
    private Dot() {}

    /** Group size of the activation sums a dtype's kernel needs (0: none). */
    public static int sumGroup(DType t) {
        return switch (t) {
            case Q4_1, Q5_0, Q5_1, Q4_K, Q5_K -> 32;
            case Q6_K -> 16;
            default -> 0;
        };
    }

    /** {@code out[g] = sum(x[xo + g*group .. xo + (g+1)*group))} for every whole group of {@code k}. */
    public static void groupSums(float[] x, int xo, int k, int group, float[] out) {
        for (int g = 0; g < k / group; g++) {
            float s = 0;
            int o = xo + g * group;
            if (Vec.ENABLED && group % LANES == 0) {
                FloatVector v = FloatVector.fromArray(F, x, o);
                for (int i = LANES; i < group; i += LANES) v = v.add(FloatVector.fromArray(F, x, o + i));
                s = Vec.sum(v);
            } else {
                for (int i = 0; i < group; i++) s += x[o + i];
            }
            out[g] = s;
        }
    }

    /** Dispatch by dtype (for callers that do not specialize); {@code xs} as {@link #sumGroup} says. */
    public static float dot(DType t, MemorySegment w, long off, float[] x, int xo, int k, float[] xs) {
        if (!Vec.ENABLED) return ScalarDot.dot(t, w, off, x, xo, k);
        return switch (t) {
            case F32 -> f32(w, off, x, xo, k);
            case F16 -> f16(w, off, x, xo, k);
            case BF16 -> bf16(w, off, x, xo, k);
            case Q8_0 -> q8_0(w, off, x, xo, k);
            case Q4_0 -> q4_0(w, off, x, xo, k, xs);
            case Q4_1 -> q4_1(w, off, x, xo, k, xs);
            case Q5_0 -> q5_0(w, off, x, xo, k, xs);
            case Q5_1 -> q5_1(w, off, x, xo, k, xs);
            case Q4_K -> q4_k(w, off, x, xo, k, xs);
            case Q5_K -> q5_k(w, off, x, xo, k, xs);
            case Q6_K -> q6_k(w, off, x, xo, k, xs);
            default -> ScalarDot.dot(t, w, off, x, xo, k);
        };
    }

    // ---- plain float types ---------------------------------------------------------------------

    public static float f32(MemorySegment w, long off, float[] x, int xo, int k) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
        int i = 0;
        for (; i + 2 * LANES <= k; i += 2 * LANES) {
            a0 = FloatVector.fromMemorySegment(F, w, off + 4L * i, LE).fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = FloatVector.fromMemorySegment(F, w, off + 4L * (i + LANES), LE).fma(FloatVector.fromArray(F, x, xo + i + LANES), a1);
        }
        for (; i + LANES <= k; i += LANES) a0 = FloatVector.fromMemorySegment(F, w, off + 4L * i, LE).fma(FloatVector.fromArray(F, x, xo + i), a0);
        float s = Vec.sum(a0.add(a1));
        for (; i < k; i++) s += w.get(Vec.LEF32, off + 4L * i) * x[xo + i];
        return s;
    }

    /**
     * Four consecutive f32 rows from {@code off} (stride {@code rowBytes}) sharing the activation
     * loads, the tail of a row not a multiple of the vector length done in scalar (masked loads from a segment are not intrinsified); results
     * in {@code out[o .. o+4)}. Small matrices (a 64-wide model) spend most of their time on per-row
     * overhead, which this amortizes.
     */
    public static void f32x4(MemorySegment w, long off, long rowBytes, float[] x, int xo, int k, float[] out, int o) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        long o1 = off + rowBytes, o2 = o1 + rowBytes, o3 = o2 + rowBytes;
        int i = 0;
        for (; i + LANES <= k; i += LANES) {
            FloatVector xv = FloatVector.fromArray(F, x, xo + i);
            a0 = FloatVector.fromMemorySegment(F, w, off + 4L * i, LE).fma(xv, a0);
            a1 = FloatVector.fromMemorySegment(F, w, o1 + 4L * i, LE).fma(xv, a1);
            a2 = FloatVector.fromMemorySegment(F, w, o2 + 4L * i, LE).fma(xv, a2);
            a3 = FloatVector.fromMemorySegment(F, w, o3 + 4L * i, LE).fma(xv, a3);
        }
        float t0 = 0, t1 = 0, t2 = 0, t3 = 0;
        for (; i < k; i++) {
            float xv = x[xo + i];
            t0 += w.get(Vec.LEF32, off + 4L * i) * xv;
            t1 += w.get(Vec.LEF32, o1 + 4L * i) * xv;
            t2 += w.get(Vec.LEF32, o2 + 4L * i) * xv;
            t3 += w.get(Vec.LEF32, o3 + 4L * i) * xv;
        }
        out[o] = Vec.sum(a0) + t0;
        out[o + 1] = Vec.sum(a1) + t1;
        out[o + 2] = Vec.sum(a2) + t2;
        out[o + 3] = Vec.sum(a3) + t3;
    }

    public static float f16(MemorySegment w, long off, float[] x, int xo, int k) {
        FloatVector a0 = FloatVector.zero(F);
        int i = 0;
        for (; i + LANES <= k; i += LANES) a0 = Vec.halvesToFloats(w, off + 2L * i).fma(FloatVector.fromArray(F, x, xo + i), a0);
        float s = Vec.sum(a0);
        for (; i < k; i++) s += Float.float16ToFloat(w.get(Vec.LE16, off + 2L * i)) * x[xo + i];
        return s;
    }

    public static float bf16(MemorySegment w, long off, float[] x, int xo, int k) {
        FloatVector a0 = FloatVector.zero(F);
        int i = 0;
        for (; i + LANES <= k; i += LANES) a0 = Vec.bf16ToFloats(w, off + 2L * i).fma(FloatVector.fromArray(F, x, xo + i), a0);
        float s = Vec.sum(a0);
        for (; i < k; i++) s += Float.intBitsToFloat((w.get(Vec.LE16, off + 2L * i) & 0xffff) << 16) * x[xo + i];
        return s;
    }

    // ---- 32-element blocks ---------------------------------------------------------------------

    /** Q8_0: f16 d, 32 int8 q; w = d q. */
    public static float q8_0(MemorySegment w, long off, float[] x, int xo, int k) { return q8_0(w, off, x, xo, k, null); }

    /**
     * With {@code xd} non-null, x holds Q8_0-quantized activations (integer levels as floats) and
     * {@code xd[b]} their block scales: block products are then exact integer sums, scaled by
     * {@code d_w d_x} as llama.cpp's {@code vec_dot_q8_0_q8_0}.
     */
    public static float q8_0(MemorySegment w, long off, float[] x, int xo, int k, float[] xd) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, nb = k >> 5; b < nb; b++, off += 34) {
            int xb = xo + (b << 5);
            FloatVector s = Vec.bytesToFloats(w, off + 2).mul(FloatVector.fromArray(F, x, xb));
            for (int i = LANES; i < 32; i += LANES) s = Vec.bytesToFloats(w, off + 2 + i).fma(FloatVector.fromArray(F, x, xb + i), s);
            acc = s.fma(FloatVector.broadcast(F, Vec.f16(w, off) * (xd == null ? 1f : xd[b])), acc);
        }
        return Vec.sum(acc);
    }

    /**
     * Two rows of Q8_0 at once (offsets {@code off0}, {@code off1}), sharing the activation loads;
     * results in {@code out[o0]} and {@code out[o1]}. The rows are best far apart (two sequential
     * streams through the matrix, see {@link MatMul}), not adjacent.
     */
    public static void q8_0x2(MemorySegment w, long off0, long off1, float[] x, int xo, int k, float[] xd, float[] out, int o0, int o1) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        for (int b = 0, nb = k >> 5; b < nb; b++, off0 += 34, off1 += 34) {
            int xb = xo + (b << 5);
            FloatVector xv = FloatVector.fromArray(F, x, xb);
            FloatVector s0 = Vec.bytesToFloats(w, off0 + 2).mul(xv);
            FloatVector s1 = Vec.bytesToFloats(w, off1 + 2).mul(xv);
            for (int i = LANES; i < 32; i += LANES) {
                xv = FloatVector.fromArray(F, x, xb + i);
                s0 = Vec.bytesToFloats(w, off0 + 2 + i).fma(xv, s0);
                s1 = Vec.bytesToFloats(w, off1 + 2 + i).fma(xv, s1);
            }
            float dx = xd == null ? 1f : xd[b];
            acc0 = s0.fma(FloatVector.broadcast(F, Vec.f16(w, off0) * dx), acc0);
            acc1 = s1.fma(FloatVector.broadcast(F, Vec.f16(w, off1) * dx), acc1);
        }
        out[o0] = Vec.sum(acc0);
        out[o1] = Vec.sum(acc1);
    }

    /**
     * Four rows of Q8_0 (f32 activations) sharing the activation loads, results in
     * {@code out[o], out[o + stride], out[o + 2 stride], out[o + 3 stride]}. Four rows far apart are
     * four sequential streams: more memory reads in flight than two, which is what a Q8_0 matvec
     * (one byte per multiply-add) is bound by on one core.
     */
    public static void q8_0x4(MemorySegment w, long o0, long o1, long o2, long o3, float[] x, int xo, int k, float[] out, int o, int stride) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0, nb = k >> 5; b < nb; b++, o0 += 34, o1 += 34, o2 += 34, o3 += 34) {
            int xb = xo + (b << 5);
            FloatVector xv = FloatVector.fromArray(F, x, xb);
            FloatVector s0 = Vec.bytesToFloats(w, o0 + 2).mul(xv), s1 = Vec.bytesToFloats(w, o1 + 2).mul(xv);
            FloatVector s2 = Vec.bytesToFloats(w, o2 + 2).mul(xv), s3 = Vec.bytesToFloats(w, o3 + 2).mul(xv);
            for (int i = LANES; i < 32; i += LANES) {
                xv = FloatVector.fromArray(F, x, xb + i);
                s0 = Vec.bytesToFloats(w, o0 + 2 + i).fma(xv, s0);
                s1 = Vec.bytesToFloats(w, o1 + 2 + i).fma(xv, s1);
                s2 = Vec.bytesToFloats(w, o2 + 2 + i).fma(xv, s2);
                s3 = Vec.bytesToFloats(w, o3 + 2 + i).fma(xv, s3);
            }
            a0 = s0.fma(FloatVector.broadcast(F, Vec.f16(w, o0)), a0);
            a1 = s1.fma(FloatVector.broadcast(F, Vec.f16(w, o1)), a1);
            a2 = s2.fma(FloatVector.broadcast(F, Vec.f16(w, o2)), a2);
            a3 = s3.fma(FloatVector.broadcast(F, Vec.f16(w, o3)), a3);
        }
        out[o] = Vec.sum(a0);
        out[o + stride] = Vec.sum(a1);
        out[o + 2 * stride] = Vec.sum(a2);
        out[o + 3 * stride] = Vec.sum(a3);
    }

    /**
     * Two Q8_0 rows (byte offsets {@code o0}, {@code o1}) times four tokens (activation rows
     * {@code x[xo + t xs]}, t = 0..3): each block is loaded and converted to floats once and used by all
     * four tokens, so a short prompt or a speculative verify step costs little more than the weight
     * reads. Results in {@code out[oa + t os]} and {@code out[ob + t os]}. Each (row, token) runs the
     * same operations in the same order as {@link #q8_0x4} (multiply, FMA, FMA with the block scale,
     * {@link Vec#sum}): its value is bit for bit a one-token step's. Written out in full, as {@link #q4_0x2}.
     */
    public static void q8_0r2t4(MemorySegment w, long o0, long o1, float[] x, int xo, int xs, int k, float[] out, int oa, int ob, int os) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        int x1 = xo + xs, x2 = x1 + xs, x3 = x2 + xs;
        for (int b = 0, nb = k >> 5; b < nb; b++, o0 += 34, o1 += 34) {
            int e = b << 5;
            FloatVector w0l = Vec.bytesToFloats(w, o0 + 2), w0h = Vec.bytesToFloats(w, o0 + 2 + LANES);
            FloatVector w1l = Vec.bytesToFloats(w, o1 + 2), w1h = Vec.bytesToFloats(w, o1 + 2 + LANES);
            FloatVector d0 = FloatVector.broadcast(F, Vec.f16(w, o0)), d1 = FloatVector.broadcast(F, Vec.f16(w, o1));
            FloatVector xl = FloatVector.fromArray(F, x, xo + e), xh = FloatVector.fromArray(F, x, xo + e + LANES);
            a00 = w0h.fma(xh, w0l.mul(xl)).fma(d0, a00);
            a10 = w1h.fma(xh, w1l.mul(xl)).fma(d1, a10);
            xl = FloatVector.fromArray(F, x, x1 + e);
            xh = FloatVector.fromArray(F, x, x1 + e + LANES);
            a01 = w0h.fma(xh, w0l.mul(xl)).fma(d0, a01);
            a11 = w1h.fma(xh, w1l.mul(xl)).fma(d1, a11);
            xl = FloatVector.fromArray(F, x, x2 + e);
            xh = FloatVector.fromArray(F, x, x2 + e + LANES);
            a02 = w0h.fma(xh, w0l.mul(xl)).fma(d0, a02);
            a12 = w1h.fma(xh, w1l.mul(xl)).fma(d1, a12);
            xl = FloatVector.fromArray(F, x, x3 + e);
            xh = FloatVector.fromArray(F, x, x3 + e + LANES);
            a03 = w0h.fma(xh, w0l.mul(xl)).fma(d0, a03);
            a13 = w1h.fma(xh, w1l.mul(xl)).fma(d1, a13);
        }
        out[oa] = Vec.sum(a00);
        out[oa + os] = Vec.sum(a01);
        out[oa + 2 * os] = Vec.sum(a02);
        out[oa + 3 * os] = Vec.sum(a03);
        out[ob] = Vec.sum(a10);
        out[ob + os] = Vec.sum(a11);
        out[ob + 2 * os] = Vec.sum(a12);
        out[ob + 3 * os] = Vec.sum(a13);
    }

    /** {@link #q8_0r2t4} for two tokens (a remainder of two or three, a one-draft verify step). */
    public static void q8_0r2t2(MemorySegment w, long o0, long o1, float[] x, int xo, int xs, int k, float[] out, int oa, int ob, int os) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00;
        int x1 = xo + xs;
        for (int b = 0, nb = k >> 5; b < nb; b++, o0 += 34, o1 += 34) {
            int e = b << 5;
            FloatVector w0l = Vec.bytesToFloats(w, o0 + 2), w0h = Vec.bytesToFloats(w, o0 + 2 + LANES);
            FloatVector w1l = Vec.bytesToFloats(w, o1 + 2), w1h = Vec.bytesToFloats(w, o1 + 2 + LANES);
            FloatVector d0 = FloatVector.broadcast(F, Vec.f16(w, o0)), d1 = FloatVector.broadcast(F, Vec.f16(w, o1));
            FloatVector xl = FloatVector.fromArray(F, x, xo + e), xh = FloatVector.fromArray(F, x, xo + e + LANES);
            a00 = w0h.fma(xh, w0l.mul(xl)).fma(d0, a00);
            a10 = w1h.fma(xh, w1l.mul(xl)).fma(d1, a10);
            xl = FloatVector.fromArray(F, x, x1 + e);
            xh = FloatVector.fromArray(F, x, x1 + e + LANES);
            a01 = w0h.fma(xh, w0l.mul(xl)).fma(d0, a01);
            a11 = w1h.fma(xh, w1l.mul(xl)).fma(d1, a11);
        }
        out[oa] = Vec.sum(a00);
        out[oa + os] = Vec.sum(a01);
        out[ob] = Vec.sum(a10);
        out[ob + os] = Vec.sum(a11);
    }

    /**
     * Two Q4_0 rows times four tokens (16 lanes), as {@link #q8_0r2t4}: nibbles decoded once per block
     * by the table lookup of {@link #q4_0x2}, whose per-row operations and order each (row, token) repeats.
     */
    public static void q4_0r2t4(MemorySegment w, long o0, long o1, float[] x, int xo, int xs, int k, float[] out, int oa, int ob, int os) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        int x1 = xo + xs, x2 = x1 + xs, x3 = x2 + xs;
        IntVector lut = Q4_0_VALUES;
        for (int b = 0, nb = k >> 5; b < nb; b++, o0 += 18, o1 += 18) {
            int e = b << 5;
            IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B, w, o0 + 2, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, Vec.I, 0);
            IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B, w, o1 + 2, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, Vec.I, 0);
            FloatVector w0l = q0.selectFrom(lut).reinterpretAsFloats(), w0h = q0.lanewise(LSHR, 4).selectFrom(lut).reinterpretAsFloats();
            FloatVector w1l = q1.selectFrom(lut).reinterpretAsFloats(), w1h = q1.lanewise(LSHR, 4).selectFrom(lut).reinterpretAsFloats();
            FloatVector d0 = FloatVector.broadcast(F, Float.float16ToFloat(w.get(Vec.LE16, o0)));
            FloatVector d1 = FloatVector.broadcast(F, Float.float16ToFloat(w.get(Vec.LE16, o1)));
            FloatVector xl = FloatVector.fromArray(F, x, xo + e), xh = FloatVector.fromArray(F, x, xo + e + 16);
            a00 = w0h.fma(xh, w0l.mul(xl)).fma(d0, a00);
            a10 = w1h.fma(xh, w1l.mul(xl)).fma(d1, a10);
            xl = FloatVector.fromArray(F, x, x1 + e);
            xh = FloatVector.fromArray(F, x, x1 + e + 16);
            a01 = w0h.fma(xh, w0l.mul(xl)).fma(d0, a01);
            a11 = w1h.fma(xh, w1l.mul(xl)).fma(d1, a11);
            xl = FloatVector.fromArray(F, x, x2 + e);
            xh = FloatVector.fromArray(F, x, x2 + e + 16);
            a02 = w0h.fma(xh, w0l.mul(xl)).fma(d0, a02);
            a12 = w1h.fma(xh, w1l.mul(xl)).fma(d1, a12);
            xl = FloatVector.fromArray(F, x, x3 + e);
            xh = FloatVector.fromArray(F, x, x3 + e + 16);
            a03 = w0h.fma(xh, w0l.mul(xl)).fma(d0, a03);
            a13 = w1h.fma(xh, w1l.mul(xl)).fma(d1, a13);
        }
        out[oa] = Vec.sum(a00);
        out[oa + os] = Vec.sum(a01);
        out[oa + 2 * os] = Vec.sum(a02);
        out[oa + 3 * os] = Vec.sum(a03);
        out[ob] = Vec.sum(a10);
        out[ob + os] = Vec.sum(a11);
        out[ob + 2 * os] = Vec.sum(a12);
        out[ob + 3 * os] = Vec.sum(a13);
    }

    /** {@link #q4_0r2t4} for two tokens. */
    public static void q4_0r2t2(MemorySegment w, long o0, long o1, float[] x, int xo, int xs, int k, float[] out, int oa, int ob, int os) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00;
        int x1 = xo + xs;
        IntVector lut = Q4_0_VALUES;
        for (int b = 0, nb = k >> 5; b < nb; b++, o0 += 18, o1 += 18) {
            int e = b << 5;
            IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B, w, o0 + 2, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, Vec.I, 0);
            IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B, w, o1 + 2, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, Vec.I, 0);
            FloatVector w0l = q0.selectFrom(lut).reinterpretAsFloats(), w0h = q0.lanewise(LSHR, 4).selectFrom(lut).reinterpretAsFloats();
            FloatVector w1l = q1.selectFrom(lut).reinterpretAsFloats(), w1h = q1.lanewise(LSHR, 4).selectFrom(lut).reinterpretAsFloats();
            FloatVector d0 = FloatVector.broadcast(F, Float.float16ToFloat(w.get(Vec.LE16, o0)));
            FloatVector d1 = FloatVector.broadcast(F, Float.float16ToFloat(w.get(Vec.LE16, o1)));
            FloatVector xl = FloatVector.fromArray(F, x, xo + e), xh = FloatVector.fromArray(F, x, xo + e + 16);
            a00 = w0h.fma(xh, w0l.mul(xl)).fma(d0, a00);
            a10 = w1h.fma(xh, w1l.mul(xl)).fma(d1, a10);
            xl = FloatVector.fromArray(F, x, x1 + e);
            xh = FloatVector.fromArray(F, x, x1 + e + 16);
            a01 = w0h.fma(xh, w0l.mul(xl)).fma(d0, a01);
            a11 = w1h.fma(xh, w1l.mul(xl)).fma(d1, a11);
        }
        out[oa] = Vec.sum(a00);
        out[oa + os] = Vec.sum(a01);
        out[ob] = Vec.sum(a10);
        out[ob + os] = Vec.sum(a11);
    }

    /**
     * {@link LANES} nibble bytes at {@code off}, zero-extended to ints. Widening first and masking or
     * shifting 32-bit lanes is cheaper than byte-lane shifts, which x86 does not have.
     */
    private static IntVector nibbleBytes(MemorySegment w, long off) {
        return (IntVector) ByteVector.fromMemorySegment(B, w, off, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, Vec.I, 0);
    }

    /** The low nibbles of {@code q} minus {@code bias}, as floats. */
    private static FloatVector low(IntVector q, int bias) { return (FloatVector) q.and(0x0f).sub(bias).convert(VectorOperators.I2F, 0); }

    /** The high nibbles (of the low byte) of {@code q} minus {@code bias}, as floats. */
    private static FloatVector high(IntVector q, int bias) { return (FloatVector) q.lanewise(LSHR, 4).sub(bias).convert(VectorOperators.I2F, 0); }

    /** Q4_0: f16 d, 16 bytes of nibbles (low: elements 0..15, high: 16..31); w = d (q - 8). */
    public static float q4_0(MemorySegment w, long off, float[] x, int xo, int k, float[] xs) { return q4_0(w, off, x, xo, k, xs, null); }

    /**
     * With {@code xd}: Q8_0 activations as in {@link #q8_0(MemorySegment, long, float[], int, int, float[])}
     * (the block sums of {@code (q - 8) x} are exact integers). {@code xs} is not used.
     */
    public static float q4_0(MemorySegment w, long off, float[] x, int xo, int k, float[] xs, float[] xd) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0, nb = k >> 5; b < nb; b++, off += 18) {
            int xb = xo + (b << 5);
            FloatVector s = FloatVector.zero(F);
            for (int i = 0; i < 16; i += LANES) {
                IntVector q = nibbleBytes(w, off + 2 + i);
                s = low(q, 8).fma(FloatVector.fromArray(F, x, xb + i), s);
                s = high(q, 8).fma(FloatVector.fromArray(F, x, xb + 16 + i), s);
            }
            acc = s.fma(FloatVector.broadcast(F, Vec.f16(w, off) * (xd == null ? 1f : xd[b])), acc);
        }
        return Vec.sum(acc);
    }

    /**
     * {@code (q - 8)} as float bits for q = 0..15: a lane permutation ({@code selectFrom}, one
     * {@code vpermd}, which wraps indexes mod 16 as the Vector API specifies) turns nibbles into
     * biased floats in one instruction instead of mask, subtract and convert.
     */
    private static final IntVector Q4_0_VALUES = LANES == 16
            ? IntVector.fromArray(Vec.I, java.util.stream.IntStream.range(0, 16).map(q -> Float.floatToIntBits(q - 8)).toArray(), 0) : null;

    /**
     * Two rows of Q4_0 sharing activation loads (best far apart, as {@link #q8_0x2}); results in
     * {@code out[o0]}, {@code out[o1]}. With 16 lanes the nibbles become floats by a table lookup
     * ({@link #Q4_0_VALUES}); the body is written out without helper calls because a kernel whose
     * inlining stops halfway (C2's node-count cut-off) boxes its vectors and runs several times slower.
     */
    public static void q4_0x2(MemorySegment w, long off0, long off1, float[] x, int xo, int k, float[] xd, float[] out, int o0, int o1) {
        if (LANES != 16) {
            q4_0x2Generic(w, off0, off1, x, xo, k, xd, out, o0, o1);
            return;
        }
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        for (int b = 0, nb = k >> 5; b < nb; b++, off0 += 18, off1 += 18) {
            int xb = xo + (b << 5);
            FloatVector xl = FloatVector.fromArray(F, x, xb), xh = FloatVector.fromArray(F, x, xb + 16);
            IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B, w, off0 + 2, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, Vec.I, 0);
            IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B, w, off1 + 2, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, Vec.I, 0);
            FloatVector s0 = q0.lanewise(LSHR, 4).selectFrom(Q4_0_VALUES).reinterpretAsFloats().fma(xh, q0.selectFrom(Q4_0_VALUES).reinterpretAsFloats().mul(xl));
            FloatVector s1 = q1.lanewise(LSHR, 4).selectFrom(Q4_0_VALUES).reinterpretAsFloats().fma(xh, q1.selectFrom(Q4_0_VALUES).reinterpretAsFloats().mul(xl));
            float dx = xd == null ? 1f : xd[b];
            acc0 = s0.fma(FloatVector.broadcast(F, Float.float16ToFloat(w.get(Vec.LE16, off0)) * dx), acc0);
            acc1 = s1.fma(FloatVector.broadcast(F, Float.float16ToFloat(w.get(Vec.LE16, off1)) * dx), acc1);
        }
        out[o0] = Vec.sum(acc0);
        out[o1] = Vec.sum(acc1);
    }

    /**
     * Four rows of Q4_0 (f32 activations, 16 lanes) at {@code o0 + i st}, sharing the activation
     * loads, results in {@code out[o + i stride]}: four sequential streams, as {@link #q8_0x4}; nibbles
     * by table lookup as {@link #q4_0x2}. Written out in full for the reason given there.
     */
    public static void q4_0x4(MemorySegment w, long o0, long st, float[] x, int xo, int k, float[] out, int o, int stride) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        long o1 = o0 + st, o2 = o1 + st, o3 = o2 + st;
        IntVector lut = Q4_0_VALUES;
        for (int b = 0, nb = k >> 5; b < nb; b++, o0 += 18, o1 += 18, o2 += 18, o3 += 18) {
            int xb = xo + (b << 5);
            FloatVector xl = FloatVector.fromArray(F, x, xb), xh = FloatVector.fromArray(F, x, xb + 16);
            IntVector q0 = (IntVector) ByteVector.fromMemorySegment(B, w, o0 + 2, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, Vec.I, 0);
            IntVector q1 = (IntVector) ByteVector.fromMemorySegment(B, w, o1 + 2, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, Vec.I, 0);
            IntVector q2 = (IntVector) ByteVector.fromMemorySegment(B, w, o2 + 2, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, Vec.I, 0);
            IntVector q3 = (IntVector) ByteVector.fromMemorySegment(B, w, o3 + 2, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, Vec.I, 0);
            a0 = q0.lanewise(LSHR, 4).selectFrom(lut).reinterpretAsFloats().fma(xh, q0.selectFrom(lut).reinterpretAsFloats().mul(xl))
                    .fma(FloatVector.broadcast(F, Float.float16ToFloat(w.get(Vec.LE16, o0))), a0);
            a1 = q1.lanewise(LSHR, 4).selectFrom(lut).reinterpretAsFloats().fma(xh, q1.selectFrom(lut).reinterpretAsFloats().mul(xl))
                    .fma(FloatVector.broadcast(F, Float.float16ToFloat(w.get(Vec.LE16, o1))), a1);
            a2 = q2.lanewise(LSHR, 4).selectFrom(lut).reinterpretAsFloats().fma(xh, q2.selectFrom(lut).reinterpretAsFloats().mul(xl))
                    .fma(FloatVector.broadcast(F, Float.float16ToFloat(w.get(Vec.LE16, o2))), a2);
            a3 = q3.lanewise(LSHR, 4).selectFrom(lut).reinterpretAsFloats().fma(xh, q3.selectFrom(lut).reinterpretAsFloats().mul(xl))
                    .fma(FloatVector.broadcast(F, Float.float16ToFloat(w.get(Vec.LE16, o3))), a3);
        }
        out[o] = Vec.sum(a0);
        out[o + stride] = Vec.sum(a1);
        out[o + 2 * stride] = Vec.sum(a2);
        out[o + 3 * stride] = Vec.sum(a3);
    }

    /** {@link #q4_0x2} for vector shapes other than 16 float lanes. */
    static void q4_0x2Generic(MemorySegment w, long off0, long off1, float[] x, int xo, int k, float[] xd, float[] out, int o0, int o1) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        for (int b = 0, nb = k >> 5; b < nb; b++, off0 += 18, off1 += 18) {
            int xb = xo + (b << 5);
            FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F);
            for (int i = 0; i < 16; i += LANES) {
                FloatVector xl = FloatVector.fromArray(F, x, xb + i), xh = FloatVector.fromArray(F, x, xb + 16 + i);
                IntVector q0 = nibbleBytes(w, off0 + 2 + i), q1 = nibbleBytes(w, off1 + 2 + i);
                s0 = low(q0, 8).fma(xl, s0);
                s1 = low(q1, 8).fma(xl, s1);
                s0 = high(q0, 8).fma(xh, s0);
                s1 = high(q1, 8).fma(xh, s1);
            }
            float dx = xd == null ? 1f : xd[b];
            acc0 = s0.fma(FloatVector.broadcast(F, Vec.f16(w, off0) * dx), acc0);
            acc1 = s1.fma(FloatVector.broadcast(F, Vec.f16(w, off1) * dx), acc1);
        }
        out[o0] = Vec.sum(acc0);
        out[o1] = Vec.sum(acc1);
    }

    /** Q4_1: f16 d, f16 m, 16 bytes of nibbles; w = d q + m. */
    public static float q4_1(MemorySegment w, long off, float[] x, int xo, int k, float[] xs) {
        FloatVector acc = FloatVector.zero(F);
        float corr = 0;
        for (int b = 0, nb = k >> 5; b < nb; b++, off += 20) {
            int xb = xo + (b << 5);
            FloatVector s = FloatVector.zero(F);
            for (int i = 0; i < 16; i += LANES) {
                ByteVector v = ByteVector.fromMemorySegment(B, w, off + 4 + i, LE);
                s = ((FloatVector) v.and((byte) 0x0f).convertShape(B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + i), s);
                s = ((FloatVector) v.lanewise(LSHR, 4).convertShape(B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + 16 + i), s);
            }
            acc = s.fma(FloatVector.broadcast(F, Vec.f16(w, off)), acc);
            corr += Vec.f16(w, off + 2) * xs[b];
        }
        return Vec.sum(acc) + corr;
    }

    /** The fifth bits of 32 elements (bit j of {@code qh} for element j) for lanes {@code i ..}: 16 or 0. */
    private static final IntVector IOTA = IntVector.zero(Vec.I).addIndex(1);

    private static IntVector highBits(int qh, int i) {
        return IntVector.broadcast(Vec.I, qh).lanewise(LSHR, IOTA.add(i)).and(1).lanewise(LSHL, 4);
    }

    private static FloatVector fiveBit(ByteVector nibbles, int qh, int i) {
        IntVector q = (IntVector) nibbles.convertShape(VectorOperators.B2I, Vec.I, 0);
        return (FloatVector) q.or(highBits(qh, i)).convert(VectorOperators.I2F, 0);
    }

    /** Q5_0: f16 d, u32 qh, 16 bytes of nibbles; w = d (q - 16) with q = nibble | bit << 4. */
    public static float q5_0(MemorySegment w, long off, float[] x, int xo, int k, float[] xs) { return q5_0(w, off, x, xo, k, xs, null); }

    /** With {@code xd}: Q8_0 activations. */
    public static float q5_0(MemorySegment w, long off, float[] x, int xo, int k, float[] xs, float[] xd) {
        FloatVector acc = FloatVector.zero(F);
        float corr = 0;
        for (int b = 0, nb = k >> 5; b < nb; b++, off += 22) {
            int xb = xo + (b << 5);
            int qh = w.get(Vec.LE32, off + 2);
            FloatVector s = FloatVector.zero(F);
            for (int i = 0; i < 16; i += LANES) {
                ByteVector v = ByteVector.fromMemorySegment(B, w, off + 6 + i, LE);
                s = fiveBit(v.and((byte) 0x0f), qh, i).fma(FloatVector.fromArray(F, x, xb + i), s);
                s = fiveBit(v.lanewise(LSHR, 4), qh, 16 + i).fma(FloatVector.fromArray(F, x, xb + 16 + i), s);
            }
            float d = Vec.f16(w, off) * (xd == null ? 1f : xd[b]);
            acc = s.fma(FloatVector.broadcast(F, d), acc);
            corr += d * xs[b];
        }
        return Vec.sum(acc) - 16 * corr;
    }

    /** Q5_1: f16 d, f16 m, u32 qh, 16 bytes of nibbles; w = d q + m. */
    public static float q5_1(MemorySegment w, long off, float[] x, int xo, int k, float[] xs) {
        FloatVector acc = FloatVector.zero(F);
        float corr = 0;
        for (int b = 0, nb = k >> 5; b < nb; b++, off += 24) {
            int xb = xo + (b << 5);
            int qh = w.get(Vec.LE32, off + 4);
            FloatVector s = FloatVector.zero(F);
            for (int i = 0; i < 16; i += LANES) {
                ByteVector v = ByteVector.fromMemorySegment(B, w, off + 8 + i, LE);
                s = fiveBit(v.and((byte) 0x0f), qh, i).fma(FloatVector.fromArray(F, x, xb + i), s);
                s = fiveBit(v.lanewise(LSHR, 4), qh, 16 + i).fma(FloatVector.fromArray(F, x, xb + 16 + i), s);
            }
            acc = s.fma(FloatVector.broadcast(F, Vec.f16(w, off)), acc);
            corr += Vec.f16(w, off + 2) * xs[b];
        }
        return Vec.sum(acc) + corr;
    }

    // ---- K-quants (256-element super-blocks) ---------------------------------------------------

    private static int u8(MemorySegment w, long off) { return w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, off) & 0xff; }

    /** ggml's get_scale_min_k4 on the 12 scale bytes at {@code sc}: scale in bits 0..7, min in 8..15. */
    static int scaleMinK4(MemorySegment w, long sc, int j) {
        int s, m;
        if (j < 4) {
            s = u8(w, sc + j) & 63;
            m = u8(w, sc + j + 4) & 63;
        } else {
            s = (u8(w, sc + j + 4) & 0xf) | ((u8(w, sc + j - 4) >>> 6) << 4);
            m = (u8(w, sc + j + 4) >>> 4) | ((u8(w, sc + j) >>> 6) << 4);
        }
        return s | (m << 8);
    }

    /**
     * The eight (scale, min) pairs of a K-quant super-block's 12 packed scale bytes at {@code sc}
     * (ggml's get_scale_min_k4 for j = 0..7): scale j in bits 0..5 of {@code out[j]}, min j in bits
     * 8..13. Two loads instead of 24 byte reads.
     */
    static void scalesMinsK4(MemorySegment w, long sc, int[] out) {
        long lo = w.get(LE64, sc);          // bytes 0..7
        long hi = w.get(Vec.LE32, sc + 8) & 0xffffffffL; // bytes 8..11
        for (int j = 0; j < 4; j++) {
            int bj = (int) (lo >>> (8 * j)) & 0xff, bj4 = (int) (lo >>> (8 * j + 32)) & 0xff, bj8 = (int) (hi >>> (8 * j)) & 0xff;
            out[j] = (bj & 63) | ((bj4 & 63) << 8);
            out[j + 4] = ((bj8 & 0xf) | ((bj >>> 6) << 4)) | (((bj8 >>> 4) | ((bj4 >>> 6) << 4)) << 8);
        }
    }

    private static final java.lang.foreign.ValueLayout.OfLong LE64 = java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final ThreadLocal<int[]> SCALES_K = ThreadLocal.withInitial(() -> new int[16]);

    /** Nibbles as floats without bias: the low ones. */
    private static FloatVector lowU(IntVector q) { return (FloatVector) q.and(0x0f).convert(VectorOperators.I2F, 0); }

    /** The high ones. */
    private static FloatVector highU(IntVector q) { return (FloatVector) q.lanewise(LSHR, 4).convert(VectorOperators.I2F, 0); }

    /** Q4_K: f16 d, f16 dmin, 12 bytes of 6-bit scales/mins, 128 bytes of nibbles; w = d sc q - dmin m per 32. */
    public static float q4_k(MemorySegment w, long off, float[] x, int xo, int k, float[] xs) {
        int[] sm = SCALES_K.get();
        float[] f = FACTORS_K.get();
        FloatVector acc = FloatVector.zero(F);
        float corr = 0;
        for (int sb = 0, nsb = k >> 8; sb < nsb; sb++, off += 144) {
            corr += factorsK4(w, off, sm, f, 0, xs, sb << 3);
            int xb = xo + (sb << 8);
            for (int p = 0; p < 4; p++) {
                long q = off + 16 + 32 * p;
                int xp = xb + 64 * p;
                FloatVector s1 = FloatVector.zero(F), s2 = FloatVector.zero(F);
                for (int i = 0; i < 32; i += LANES) {
                    IntVector v = nibbleBytes(w, q + i);
                    s1 = lowU(v).fma(FloatVector.fromArray(F, x, xp + i), s1);
                    s2 = highU(v).fma(FloatVector.fromArray(F, x, xp + 32 + i), s2);
                }
                acc = s1.fma(FloatVector.broadcast(F, f[2 * p]), acc);
                acc = s2.fma(FloatVector.broadcast(F, f[2 * p + 1]), acc);
            }
        }
        return Vec.sum(acc) - corr;
    }

    private static final ThreadLocal<float[]> FACTORS_K = ThreadLocal.withInitial(() -> new float[16]);
    // The 12 packed scale bytes of a K-quant super-block widened to 16 int lanes b[0..15] give, per
    // lane L, ((b[A] >> SHIFT) & MASK) | ((b[B] >> 2) & HIGH): lanes 0..7 the mins m_0..7, lanes
    // 8..15 the scales sc_0..7 (ggml's get_scale_min_k4, all eight pairs at once).
    private static final IntVector K4_A = k4Lanes(4, 5, 6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11);
    private static final VectorMask<Integer> K4_SHIFTED = LANES == 16 ? VectorMask.fromLong(Vec.I, 0x00f0L) : null;
    private static final IntVector K4_MASK = k4Lanes(63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 15, 15, 15, 15);
    private static final IntVector K4_B = k4Lanes(0, 0, 0, 0, 4, 5, 6, 7, 0, 0, 0, 0, 0, 1, 2, 3);
    private static final IntVector K4_HIGH = k4Lanes(0, 0, 0, 0, 0x30, 0x30, 0x30, 0x30, 0, 0, 0, 0, 0x30, 0x30, 0x30, 0x30);
    private static final VectorMask<Float> K4_SCALE_LANES = LANES == 16
            ? VectorMask.fromLong(F, 0xff00L) : null;
    private static final VectorMask<Float> K4_MIN_LANES = LANES == 16
            ? VectorMask.fromLong(F, 0x00ffL) : null;

    private static IntVector k4Lanes(int... v) { return LANES == 16 ? IntVector.fromArray(Vec.I, v, 0) : null; }

    /**
     * A Q4_K super-block's eight sub-block scales {@code d * sc_j} into {@code f[fo + j]}; returns
     * the min term {@code sum_j dmin m_j xs[g + j]} (to subtract).
     */
    private static float factorsK4(MemorySegment w, long off, int[] sm, float[] f, int fo, float[] xs, int g) {
        float d = Vec.f16(w, off), dmin = Vec.f16(w, off + 2);
        scalesMinsK4(w, off + 4, sm);
        float corr = 0;
        for (int j = 0; j < 8; j++) {
            f[fo + j] = d * (sm[j] & 0xff);
            corr += dmin * (sm[j] >>> 8) * xs[g + j];
        }
        return corr;
    }

    /**
     * Two rows of Q4_K sharing activation loads (best far apart, as {@link #q8_0x2}); results in
     * {@code out[o0]}, {@code out[o1]}. With 16 lanes each super-block's scales and mins are decoded
     * in vector lanes inside the nibble loop (one pass over the row); otherwise {@link #q4_kx2Generic}.
     */
    public static void q4_kx2(MemorySegment w, long off0, long off1, float[] x, int xo, int k, float[] xs, float[] out, int o0, int o1) {
        q4_kx2(w, off0, off1, x, xo, k, xs, out, o0, o1, Scratch.floats(Scratch.K_FACTORS, 32));
    }

    /** As above with the caller's scratch {@code f} (32 floats), fetched once per row range rather than per pair. */
    static void q4_kx2(MemorySegment w, long off0, long off1, float[] x, int xo, int k, float[] xs, float[] out, int o0, int o1, float[] f) {
        if (LANES != 16 || xs.length < (k >> 5) + 8) {
            q4_kx2Generic(w, off0, off1, x, xo, k, xs, out, o0, o1);
            return;
        }
        // Per super-block: both rows' eight scales and mins decoded at once in vector lanes (see
        // K4_A), then the four 64-element units. One pass over the row, in stream order; written out
        // because a helper left un-inlined (C2's node cut-off) would box the vectors.
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, corr0 = acc0, corr1 = acc0;
        for (int sb = 0, nsb = k >> 8; sb < nsb; sb++, off0 += 144, off1 += 144) {
            FloatVector xsv = FloatVector.fromArray(F, xs, sb << 3);
            IntVector b0 = (IntVector) ByteVector.fromMemorySegment(B, w, off0 + 4, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, Vec.I, 0);
            IntVector b1 = (IntVector) ByteVector.fromMemorySegment(B, w, off1 + 4, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, Vec.I, 0);
            IntVector a0 = K4_A.selectFrom(b0), a1 = K4_A.selectFrom(b1);
            IntVector v0 = a0.blend(a0.lanewise(LSHR, 4), K4_SHIFTED).and(K4_MASK).or(K4_B.selectFrom(b0).lanewise(LSHR, 2).and(K4_HIGH));
            IntVector v1 = a1.blend(a1.lanewise(LSHR, 4), K4_SHIFTED).and(K4_MASK).or(K4_B.selectFrom(b1).lanewise(LSHR, 2).and(K4_HIGH));
            FloatVector fac0 = ((FloatVector) v0.convert(VectorOperators.I2F, 0)).mul(FloatVector.broadcast(F, Float.float16ToFloat(w.get(Vec.LE16, off0 + 2)))
                    .blend(FloatVector.broadcast(F, Float.float16ToFloat(w.get(Vec.LE16, off0))), K4_SCALE_LANES));
            FloatVector fac1 = ((FloatVector) v1.convert(VectorOperators.I2F, 0)).mul(FloatVector.broadcast(F, Float.float16ToFloat(w.get(Vec.LE16, off1 + 2)))
                    .blend(FloatVector.broadcast(F, Float.float16ToFloat(w.get(Vec.LE16, off1))), K4_SCALE_LANES));
            corr0 = fac0.fma(xsv, corr0);
            corr1 = fac1.fma(xsv, corr1);
            fac0.intoArray(f, 0);
            fac1.intoArray(f, 16);
            int xb = xo + (sb << 8);
            for (int p = 0; p < 4; p++) {
                long q0 = off0 + 16 + 32 * p, q1 = off1 + 16 + 32 * p;
                int xp = xb + 64 * p;
                FloatVector xl = FloatVector.fromArray(F, x, xp), xh = FloatVector.fromArray(F, x, xp + 32);
                IntVector n0 = (IntVector) ByteVector.fromMemorySegment(B, w, q0, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, Vec.I, 0);
                IntVector n1 = (IntVector) ByteVector.fromMemorySegment(B, w, q1, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, Vec.I, 0);
                FloatVector s0 = ((FloatVector) n0.and(0x0f).convert(VectorOperators.I2F, 0)).mul(xl);
                FloatVector h0 = ((FloatVector) n0.lanewise(LSHR, 4).convert(VectorOperators.I2F, 0)).mul(xh);
                FloatVector s1 = ((FloatVector) n1.and(0x0f).convert(VectorOperators.I2F, 0)).mul(xl);
                FloatVector h1 = ((FloatVector) n1.lanewise(LSHR, 4).convert(VectorOperators.I2F, 0)).mul(xh);
                xl = FloatVector.fromArray(F, x, xp + 16);
                xh = FloatVector.fromArray(F, x, xp + 48);
                n0 = (IntVector) ByteVector.fromMemorySegment(B, w, q0 + 16, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, Vec.I, 0);
                n1 = (IntVector) ByteVector.fromMemorySegment(B, w, q1 + 16, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, Vec.I, 0);
                s0 = ((FloatVector) n0.and(0x0f).convert(VectorOperators.I2F, 0)).fma(xl, s0);
                h0 = ((FloatVector) n0.lanewise(LSHR, 4).convert(VectorOperators.I2F, 0)).fma(xh, h0);
                s1 = ((FloatVector) n1.and(0x0f).convert(VectorOperators.I2F, 0)).fma(xl, s1);
                h1 = ((FloatVector) n1.lanewise(LSHR, 4).convert(VectorOperators.I2F, 0)).fma(xh, h1);
                acc0 = s0.fma(FloatVector.broadcast(F, f[8 + 2 * p]), acc0);
                acc0 = h0.fma(FloatVector.broadcast(F, f[9 + 2 * p]), acc0);
                acc1 = s1.fma(FloatVector.broadcast(F, f[24 + 2 * p]), acc1);
                acc1 = h1.fma(FloatVector.broadcast(F, f[25 + 2 * p]), acc1);
            }
        }
        out[o0] = Vec.sum(acc0) - Vec.sum(FloatVector.zero(F).blend(corr0, K4_MIN_LANES));
        out[o1] = Vec.sum(acc1) - Vec.sum(FloatVector.zero(F).blend(corr1, K4_MIN_LANES));
    }

    /** {@link #q4_kx2} for vector shapes other than 16 lanes: scales decoded in scalar code first. */
    static void q4_kx2Generic(MemorySegment w, long off0, long off1, float[] x, int xo, int k, float[] xs, float[] out, int o0, int o1) {
        int nsb = k >> 8, subs = k >> 5;
        float[] f = Scratch.floats(Scratch.K_FACTORS, 2 * subs);
        int[] sm = SCALES_K.get();
        float corr0 = 0, corr1 = 0;
        for (int sb = 0; sb < nsb; sb++) {
            corr0 += factorsK4(w, off0 + 144L * sb, sm, f, 8 * sb, xs, sb << 3);
            corr1 += factorsK4(w, off1 + 144L * sb, sm, f, subs + 8 * sb, xs, sb << 3);
        }
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        for (int u = 0, units = k >> 6; u < units; u++) {
            long chunk = 144L * (u >> 2) + 16 + 32 * (u & 3);
            long q0 = off0 + chunk, q1 = off1 + chunk;
            int xp = xo + (u << 6);
            FloatVector a = FloatVector.zero(F), b = a, c = a, e = a;
            for (int i = 0; i < 32; i += LANES) {
                FloatVector xl = FloatVector.fromArray(F, x, xp + i), xh = FloatVector.fromArray(F, x, xp + 32 + i);
                IntVector v0 = nibbleBytes(w, q0 + i), v1 = nibbleBytes(w, q1 + i);
                a = lowU(v0).fma(xl, a);
                b = highU(v0).fma(xh, b);
                c = lowU(v1).fma(xl, c);
                e = highU(v1).fma(xh, e);
            }
            acc0 = a.fma(FloatVector.broadcast(F, f[2 * u]), acc0);
            acc0 = b.fma(FloatVector.broadcast(F, f[2 * u + 1]), acc0);
            acc1 = c.fma(FloatVector.broadcast(F, f[subs + 2 * u]), acc1);
            acc1 = e.fma(FloatVector.broadcast(F, f[subs + 2 * u + 1]), acc1);
        }
        out[o0] = Vec.sum(acc0) - corr0;
        out[o1] = Vec.sum(acc1) - corr1;
    }

    /** Q5_K: as Q4_K plus 32 bytes qh (bit 2p / 2p+1 of qh[l]: fifth bit of element l of sub-block 2p / 2p+1). */
    public static float q5_k(MemorySegment w, long off, float[] x, int xo, int k, float[] xs) {
        FloatVector acc = FloatVector.zero(F);
        float corr = 0;
        for (int sb = 0, nsb = k >> 8; sb < nsb; sb++, off += 176) {
            float d = Vec.f16(w, off), dmin = Vec.f16(w, off + 2);
            int xb = xo + (sb << 8);
            for (int p = 0; p < 4; p++) {
                int sm1 = scaleMinK4(w, off + 4, 2 * p), sm2 = scaleMinK4(w, off + 4, 2 * p + 1);
                long q = off + 48 + 32 * p;
                int xp = xb + 64 * p;
                FloatVector s1 = FloatVector.zero(F), s2 = FloatVector.zero(F);
                for (int i = 0; i < 32; i += LANES) {
                    ByteVector v = ByteVector.fromMemorySegment(B, w, q + i, LE);
                    ByteVector h = ByteVector.fromMemorySegment(B, w, off + 16 + i, LE);
                    ByteVector lo = v.and((byte) 0x0f).or(h.lanewise(LSHR, 2 * p).and((byte) 1).lanewise(LSHL, 4));
                    ByteVector hi = v.lanewise(LSHR, 4).or(h.lanewise(LSHR, 2 * p + 1).and((byte) 1).lanewise(LSHL, 4));
                    s1 = ((FloatVector) lo.convertShape(B2F, F, 0)).fma(FloatVector.fromArray(F, x, xp + i), s1);
                    s2 = ((FloatVector) hi.convertShape(B2F, F, 0)).fma(FloatVector.fromArray(F, x, xp + 32 + i), s2);
                }
                acc = s1.fma(FloatVector.broadcast(F, d * (sm1 & 0xff)), acc);
                acc = s2.fma(FloatVector.broadcast(F, d * (sm2 & 0xff)), acc);
                int g = (sb << 3) + 2 * p;
                corr += dmin * ((sm1 >>> 8) * xs[g] + (sm2 >>> 8) * xs[g + 1]);
            }
        }
        return Vec.sum(acc) - corr;
    }

    /**
     * Q6_K: ql[128], qh[64], int8 scales[16], f16 d; 16 groups of 16 with w = d sc (q - 32), q the
     * 4 low bits from ql and 2 high bits from qh (ggml's dequantize_row_q6_K order).
     */
    public static float q6_k(MemorySegment w, long off, float[] x, int xo, int k, float[] xs) {
        FloatVector acc = FloatVector.zero(F);
        float corr = 0;
        for (int sb = 0, nsb = k >> 8; sb < nsb; sb++, off += 210) {
            float d = Vec.f16(w, off + 208);
            for (int n = 0; n < 2; n++) {
                long ql = off + 64 * n, qh = off + 128 + 32 * n, sc = off + 192 + 8 * n;
                int xb = xo + (sb << 8) + 128 * n;
                for (int l = 0; l < 32; l += LANES) {
                    int is = l >> 4;
                    ByteVector a = ByteVector.fromMemorySegment(B, w, ql + l, LE);
                    ByteVector c = ByteVector.fromMemorySegment(B, w, ql + 32 + l, LE);
                    ByteVector h = ByteVector.fromMemorySegment(B, w, qh + l, LE);
                    ByteVector q1 = a.and((byte) 0x0f).or(h.and((byte) 3).lanewise(LSHL, 4));
                    ByteVector q2 = c.and((byte) 0x0f).or(h.lanewise(LSHR, 2).and((byte) 3).lanewise(LSHL, 4));
                    ByteVector q3 = a.lanewise(LSHR, 4).or(h.lanewise(LSHR, 4).and((byte) 3).lanewise(LSHL, 4));
                    ByteVector q4 = c.lanewise(LSHR, 4).or(h.lanewise(LSHR, 6).lanewise(LSHL, 4));
                    float d1 = d * w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, sc + is);
                    float d2 = d * w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, sc + is + 2);
                    float d3 = d * w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, sc + is + 4);
                    float d4 = d * w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, sc + is + 6);
                    acc = ((FloatVector) q1.convertShape(B2F, F, 0)).mul(FloatVector.fromArray(F, x, xb + l)).fma(FloatVector.broadcast(F, d1), acc);
                    acc = ((FloatVector) q2.convertShape(B2F, F, 0)).mul(FloatVector.fromArray(F, x, xb + 32 + l)).fma(FloatVector.broadcast(F, d2), acc);
                    acc = ((FloatVector) q3.convertShape(B2F, F, 0)).mul(FloatVector.fromArray(F, x, xb + 64 + l)).fma(FloatVector.broadcast(F, d3), acc);
                    acc = ((FloatVector) q4.convertShape(B2F, F, 0)).mul(FloatVector.fromArray(F, x, xb + 96 + l)).fma(FloatVector.broadcast(F, d4), acc);
                    if ((l & 15) == 0) {
                        int g = (sb << 4) + 8 * n + is;
                        corr += 32 * (d1 * xs[g] + d2 * xs[g + 2] + d3 * xs[g + 4] + d4 * xs[g + 6]);
                    }
                }
            }
        }
        return Vec.sum(acc) - corr;
    }
}
