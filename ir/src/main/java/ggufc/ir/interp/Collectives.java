package ggufc.ir.interp;

import ggufc.ir.DType;
import ggufc.ir.quant.BlockCodecs;
import java.lang.foreign.MemorySegment;

/**
 * What {@code all_reduce} computes, on plain arrays, for the interpreter and every CPU kernel alike: the partial sums
 * added in their order (device order, so every device gets the same bits), each first rounded to the reduce type; with
 * f16/bf16 every running sum is rounded to it again (the reduction runs in that type), q8_0 rounds each part's rows of
 * {@code row} elements to q8_0 blocks and adds in f32.
 */
public final class Collectives {
    private Collectives() {}

    public static void allReduce(float[][] parts, int n, int row, String reduce, float[] out) {
        float[] part = reduce.equals("f32") ? null : new float[n];
        byte[] q = reduce.equals("q8_0") ? new byte[(int) DType.Q8_0.bytesFor(row)] : null;
        for (int p = 0; p < parts.length; p++) {
            float[] x = parts[p], src;
            switch (reduce) {
                case "f32" -> src = x;
                case "f16" -> {
                    for (int i = 0; i < n; i++) part[i] = BlockCodecs.f16ToF32(BlockCodecs.f32ToF16(x[i]));
                    src = part;
                }
                case "bf16" -> {
                    for (int i = 0; i < n; i++) part[i] = BlockCodecs.bf16ToF32(BlockCodecs.f32ToBf16(x[i]));
                    src = part;
                }
                case "q8_0" -> {
                    MemorySegment buf = MemorySegment.ofArray(q);
                    for (int r = 0; r < n / row; r++) {
                        BlockCodecs.quantize(DType.Q8_0, x, r * row, row, buf, 0);
                        BlockCodecs.dequantize(DType.Q8_0, buf, 0, part, r * row, row);
                    }
                    src = part;
                }
                default -> throw new IllegalArgumentException("unknown reduce type " + reduce);
            }
            if (reduce.equals("f16")) checkF16(x, src, n);
            if (p == 0) {
                System.arraycopy(src, 0, out, 0, n);
                continue;
            }
            switch (reduce) {
                case "f16" -> {
                    for (int i = 0; i < n; i++) {
                        float sum = out[i] + src[i];
                        out[i] = BlockCodecs.f16ToF32(BlockCodecs.f32ToF16(sum));
                        if (Float.isFinite(sum) && !Float.isFinite(out[i])) {
                            throw new ArithmeticException("all_reduce in f16 overflowed: a sum of " + sum + " is beyond f16's range (65504); use --reduce-type bf16 or f32");
                        }
                    }
                }
                case "bf16" -> { for (int i = 0; i < n; i++) out[i] = BlockCodecs.bf16ToF32(BlockCodecs.f32ToBf16(out[i] + src[i])); }
                default -> { for (int i = 0; i < n; i++) out[i] += src[i]; }
            }
        }
    }

    /**
     * What {@code all_gather} computes: the parts side by side, {@code rows} rows, part i contributing {@code widths[i]}
     * values per row (its extent along the gathered axis times everything after it).
     */
    public static void allGather(float[][] parts, int[] widths, int rows, float[] out) {
        int total = 0;
        for (int w : widths) total += w;
        for (int r = 0; r < rows; r++) {
            int off = r * total;
            for (int i = 0; i < parts.length; i++) {
                System.arraycopy(parts[i], r * widths[i], out, off, widths[i]);
                off += widths[i];
            }
        }
    }

    /**
     * An f16 all-reduce whose part or sum leaves f16's range (±65504) would turn into infinities and then NaNs, which
     * ik_llama.cpp's users saw as gibberish (its issue #1087): refused with the number and what to use instead.
     */
    private static void checkF16(float[] exact, float[] rounded, int n) {
        for (int i = 0; i < n; i++) {
            if (Float.isFinite(exact[i]) && !Float.isFinite(rounded[i])) {
                throw new ArithmeticException("all_reduce in f16 overflowed: a partial sum of " + exact[i] + " is beyond f16's range (65504); use --reduce-type bf16 or f32");
            }
        }
    }

    /** Whether {@code x[0 .. n)} holds an infinity or NaN (what an f16 all-reduce overflowing to ±65504+ gives). */
    public static boolean nonFinite(float[] x, int n) {
        for (int i = 0; i < n; i++) if (!Float.isFinite(x[i])) return true;
        return false;
    }
}
