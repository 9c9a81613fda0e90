package ggufc.codegen.vector.kernels;

import ggufc.ir.DType;
import ggufc.ir.quant.BlockCodecs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/** Random weight rows in GGUF block layouts, and the reference dot products the kernels must match. */
final class QuantData {
    private QuantData() {}

    /** The dtypes with weight kernels (the list). */
    static final DType[] WEIGHT_TYPES = {DType.F32, DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0, DType.Q4_1, DType.Q5_0, DType.Q5_1,
        DType.Q4_K, DType.Q5_K, DType.Q6_K};

    private static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * {@code rows} rows of {@code k} elements of {@code t}. Half of the time the rows are quantized
     * from random floats of a random magnitude (1e-4 .. 1e4), otherwise they are random bytes with
     * every block scale replaced by a random finite half, tiny (subnormal) to huge (up to 2^14),
     * so every bit pattern of the quants occurs.
     */
    static MemorySegment rows(DType t, int rows, int k, Random rnd) {
        long bytes = t.bytesFor((long) rows * k);
        MemorySegment seg = Arena.ofAuto().allocate(bytes + 64, 64);
        boolean raw = t.isQuantized() && rnd.nextBoolean();
        if (!raw) {
            float mag = (float) Math.pow(10, rnd.nextInt(9) - 4);
            float[] v = new float[rows * k];
            for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * mag);
            if (rnd.nextInt(4) == 0) for (int i = 0; i < Math.min(32, v.length); i++) v[i] = 0; // an all-zero block
            BlockCodecs.quantize(t, v, 0, v.length, seg, 0);
            return seg;
        }
        byte[] b = new byte[(int) bytes];
        rnd.nextBytes(b);
        MemorySegment.copy(b, 0, seg, ValueLayout.JAVA_BYTE, 0, b.length);
        for (long blk = 0; blk < bytes / t.blockBytes(); blk++) {
            long o = blk * t.blockBytes();
            for (int so : scaleOffsets(t)) seg.set(LE16, o + so, randomHalf(rnd));
        }
        return seg;
    }

    /** Byte offsets of the f16 scales in a block. */
    static int[] scaleOffsets(DType t) {
        return switch (t) {
            case Q4_0, Q5_0, Q8_0 -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            default -> new int[0];
        };
    }

    static short randomHalf(Random rnd) {
        float f = switch (rnd.nextInt(4)) {
            case 0 -> (float) Math.scalb(rnd.nextFloat(), -14 - rnd.nextInt(10)); // subnormal or tiny
            case 1 -> (float) Math.scalb(1 + rnd.nextFloat(), rnd.nextInt(15)); // large
            default -> (float) (rnd.nextGaussian() * 0.05);
        };
        if (rnd.nextBoolean()) f = -f;
        return Float.floatToFloat16(f);
    }

    static float[] activations(int n, Random rnd) {
        float mag = (float) Math.pow(10, rnd.nextInt(5) - 2);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextGaussian() * mag);
        return x;
    }

    /** Row r as f32, by the bit-exact definition. */
    static float[] row(DType t, MemorySegment w, int r, int k) {
        float[] f = new float[k];
        BlockCodecs.dequantize(t, w, r * t.bytesFor(k), f, 0, k);
        return f;
    }

    static double dot(float[] a, float[] x, int xo) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * x[xo + i];
        return s;
    }

    /**
     * An error bound for a float dot product of row r with x: (k + 64) ulps of 2^-22 times
     * sum(M_i |x_i|), where M_i bounds the magnitude of every term the kernel may form for element
     * i (the block scale times the largest level, plus the min), so sums that cancel are covered.
     */
    static double tolerance(DType t, MemorySegment w, int r, int k, float[] x, int xo) {
        float[] m = magnitudes(t, w, r, k);
        double s = 0;
        for (int i = 0; i < k; i++) s += (double) m[i] * Math.abs(x[xo + i]);
        return (k + 64) * 0x1p-22 * s + Float.MIN_NORMAL;
    }

    private static float h(MemorySegment w, long o) { return Math.abs(Float.float16ToFloat(w.get(LE16, o))); }

    static float[] magnitudes(DType t, MemorySegment w, int r, int k) {
        float[] m = new float[k];
        long base = r * t.bytesFor(k);
        if (!t.isQuantized()) {
            float[] row = row(t, w, r, k);
            for (int i = 0; i < k; i++) m[i] = Math.abs(row[i]);
            return m;
        }
        int bs = t.blockSize();
        for (int b = 0; b < k / bs; b++) {
            long o = base + (long) b * t.blockBytes();
            float v = switch (t) {
                case Q4_0 -> h(w, o) * 16;
                case Q4_1 -> h(w, o) * 15 + h(w, o + 2);
                case Q5_0 -> h(w, o) * 32;
                case Q5_1 -> h(w, o) * 31 + h(w, o + 2);
                case Q8_0 -> h(w, o) * 128;
                case Q4_K -> h(w, o) * 63 * 15 + h(w, o + 2) * 63;
                case Q5_K -> h(w, o) * 63 * 31 + h(w, o + 2) * 63;
                case Q6_K -> h(w, o + 208) * 128 * 64;
                default -> throw new IllegalArgumentException(t.toString());
            };
            java.util.Arrays.fill(m, b * bs, (b + 1) * bs, v);
        }
        return m;
    }
}
