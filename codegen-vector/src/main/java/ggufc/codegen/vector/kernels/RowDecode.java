package ggufc.codegen.vector.kernels;

import static ggufc.codegen.vector.kernels.Vec.B;
import static ggufc.codegen.vector.kernels.Vec.F;
import static ggufc.codegen.vector.kernels.Vec.LANES;
import static ggufc.codegen.vector.kernels.Vec.LE;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.LSHR;

import ggufc.ir.DType;
import ggufc.ir.quant.BlockCodecs;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Decodes weight rows to f32 into a small scratch tile (prompt matmuls reuse each decoded row for
 * every token; embedding lookups decode one row). Bit-exact with {@link BlockCodecs#dequantize}:
 * the vector paths do the same float operations ({@code (q - 8) * d}, {@code q * d}, exact half
 * conversion); other dtypes go through BlockCodecs itself.
 */
public final class RowDecode {
    private RowDecode() {}

    /** Whether rows of {@code t} can be decoded (every weight type BlockCodecs reads). */
    public static boolean decodes(DType t) {
        return t == DType.F32 || t == DType.F16 || t == DType.BF16 || t.isQuantized();
    }

    public static void decode(DType t, MemorySegment w, long off, float[] dst, int dstOff, int k) {
        if (Vec.ENABLED) {
            switch (t) {
                case F32 -> {
                    int i = 0;
                    for (; i + LANES <= k; i += LANES) FloatVector.fromMemorySegment(F, w, off + 4L * i, LE).intoArray(dst, dstOff + i);
                    for (; i < k; i++) dst[dstOff + i] = w.get(Vec.LEF32, off + 4L * i);
                    return;
                }
                case F16 -> {
                    int i = 0;
                    for (; i + LANES <= k; i += LANES) Vec.halvesToFloats(w, off + 2L * i).intoArray(dst, dstOff + i);
                    if (i < k) BlockCodecs.dequantize(t, w, off + 2L * i, dst, dstOff + i, k - i);
                    return;
                }
                case BF16 -> {
                    int i = 0;
                    for (; i + LANES <= k; i += LANES) Vec.bf16ToFloats(w, off + 2L * i).intoArray(dst, dstOff + i);
                    if (i < k) BlockCodecs.dequantize(t, w, off + 2L * i, dst, dstOff + i, k - i);
                    return;
                }
                case Q8_0 -> {
                    for (int b = 0; b < k >> 5; b++, off += 34) {
                        FloatVector d = FloatVector.broadcast(F, Vec.f16(w, off));
                        for (int i = 0; i < 32; i += LANES) Vec.bytesToFloats(w, off + 2 + i).mul(d).intoArray(dst, dstOff + (b << 5) + i);
                    }
                    return;
                }
                case Q4_0 -> {
                    for (int b = 0; b < k >> 5; b++, off += 18) {
                        FloatVector d = FloatVector.broadcast(F, Vec.f16(w, off));
                        int o = dstOff + (b << 5);
                        for (int i = 0; i < 16; i += LANES) {
                            ByteVector v = ByteVector.fromMemorySegment(B, w, off + 2 + i, LE);
                            ((FloatVector) v.and((byte) 0x0f).sub((byte) 8).convertShape(B2F, F, 0)).mul(d).intoArray(dst, o + i);
                            ((FloatVector) v.lanewise(LSHR, 4).sub((byte) 8).convertShape(B2F, F, 0)).mul(d).intoArray(dst, o + 16 + i);
                        }
                    }
                    return;
                }
                case Q4_K -> {
                    // BlockCodecs' float operations lane for lane: d * sc then (d * sc) * q - dmin * m
                    for (int sb = 0; sb < k >> 8; sb++, off += 144) {
                        float d = Vec.f16(w, off), dmin = Vec.f16(w, off + 2);
                        for (int p = 0; p < 4; p++) {
                            int sm1 = Dot.scaleMinK4(w, off + 4, 2 * p), sm2 = Dot.scaleMinK4(w, off + 4, 2 * p + 1);
                            float d1 = d * (sm1 & 0xff), m1 = dmin * (sm1 >>> 8), d2 = d * (sm2 & 0xff), m2 = dmin * (sm2 >>> 8);
                            int o = dstOff + (sb << 8) + 64 * p;
                            for (int i = 0; i < 32; i += LANES) {
                                IntVector q = (IntVector) ByteVector.fromMemorySegment(B, w, off + 16 + 32 * p + i, LE)
                                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, Vec.I, 0);
                                ((FloatVector) q.and(0x0f).convert(VectorOperators.I2F, 0)).mul(d1).sub(m1).intoArray(dst, o + i);
                                ((FloatVector) q.lanewise(LSHR, 4).convert(VectorOperators.I2F, 0)).mul(d2).sub(m2).intoArray(dst, o + 32 + i);
                            }
                        }
                    }
                    return;
                }
                default -> { }
            }
        }
        BlockCodecs.dequantize(t, w, off, dst, dstOff, k);
    }
}
