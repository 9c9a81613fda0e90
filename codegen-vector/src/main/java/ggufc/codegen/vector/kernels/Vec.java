package ggufc.codegen.vector.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes every kernel uses, fixed once per JVM so the JIT folds them: {@link #F} holds
 * {@link #LANES} floats (16 with AVX-512, 8 with AVX2) and {@link #B}, {@link #S}, {@link #I} the
 * same number of bytes, shorts and ints, so a byte or half load converts lane for lane to floats.
 * {@code -Dggufc.vector.bits=256} forces a narrower shape; below 256 bits (or with
 * {@code -Dggufc.vector=false}) {@link #ENABLED} is false and callers use the scalar kernels.
 */
public final class Vec {
    private Vec() {}

    public static final VectorSpecies<Float> F = floatSpecies();
    public static final int LANES = F.length();
    public static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, LANES * 8)));
    public static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(Math.max(64, LANES * 16)));
    public static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    public static final boolean ENABLED = LANES >= 8 && !"false".equals(System.getProperty("ggufc.vector"));

    static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat LEF32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Lane shuffles i -> i + 8, 4, 2, 1 (mod LANES), constants for {@link #sum} (one per step, so the JIT folds each). */
    private static final jdk.incubator.vector.VectorShuffle<Float> H8 = rotate(8), H4 = rotate(4), H2 = rotate(2), H1 = rotate(1);

    private static jdk.incubator.vector.VectorShuffle<Float> rotate(int by) { return jdk.incubator.vector.VectorShuffle.fromOp(F, i -> (i + by) % LANES); }

    /**
     * The sum of {@code v}'s lanes in one fixed order (halving: lane i plus lane i + LANES/2, then + LANES/4, ...),
     * the same whether the JIT has compiled the kernel yet or not. {@code reduceLanes(ADD)} leaves the order to the
     * implementation (the Java fallback adds lane by lane, C2 by halves), so a kernel's float result depended on when it
     * was compiled: two runs of one command on a loaded machine gave different logits (KLD 5e-6 to 1.4e-5 between
     * unsplit runs of llama-125m Q8_0).
     */
    public static float sum(FloatVector v) {
        if (LANES >= 16) v = v.add(v.rearrange(H8));
        if (LANES >= 8) v = v.add(v.rearrange(H4));
        if (LANES >= 4) v = v.add(v.rearrange(H2));
        if (LANES >= 2) v = v.add(v.rearrange(H1));
        return v.lane(0);
    }

    private static VectorSpecies<Float> floatSpecies() {
        String bits = System.getProperty("ggufc.vector.bits");
        if (bits != null) {
            int b = Math.min(Integer.parseInt(bits), FloatVector.SPECIES_PREFERRED.vectorBitSize());
            return VectorSpecies.of(float.class, VectorShape.forBitSize(b));
        }
        return FloatVector.SPECIES_PREFERRED;
    }

    /** A short description for logs and artifact manifests, e.g. {@code vector 512-bit (16 f32 lanes)}. */
    public static String describe() {
        return ENABLED ? "vector " + F.vectorBitSize() + "-bit (" + LANES + " f32 lanes)" : "scalar (no usable vector shape)";
    }

    static float f16(MemorySegment s, long off) { return Float.float16ToFloat(s.get(LE16, off)); }

    /** {@link #LANES} signed bytes at {@code off} as floats. */
    static FloatVector bytesToFloats(MemorySegment s, long off) {
        return (FloatVector) ByteVector.fromMemorySegment(B, s, off, LE).convertShape(VectorOperators.B2F, F, 0);
    }

    /**
     * {@link #LANES} IEEE halves at {@code off} as floats, exactly: the exponent is rebased by a
     * multiplication by 2^112 (which also handles subnormals), infinities and NaNs are patched.
     */
    static FloatVector halvesToFloats(MemorySegment s, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, s, off, LE).convertShape(VectorOperators.S2I, I, 0);
        IntVector em = h.and(0x7fff);
        IntVector shifted = em.lanewise(VectorOperators.LSHL, 13);
        FloatVector f = shifted.reinterpretAsFloats().mul(0x1p112f);
        var special = em.compare(VectorOperators.GE, 0x7c00);
        if (special.anyTrue()) f = f.blend(shifted.or(0x7f800000).reinterpretAsFloats(), special.cast(F));
        return f.reinterpretAsInts().or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /** {@link #LANES} bfloat16 values at {@code off} as floats (exact). */
    static FloatVector bf16ToFloats(MemorySegment s, long off) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, s, off, LE).convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
