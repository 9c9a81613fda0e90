package ggufc.ir.quant;

import ggufc.ir.DType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Helper semantics and argument checks; bit-exactness against llama.cpp is tested in frontend-gguf. */
class BlockCodecsTest {

    /** A literal port of ggml's {@code ggml_compute_fp32_to_fp16} bit trick, as an oracle. */
    static short ggmlF32ToF16(float f) {
        float base = (Math.abs(f) * 0x1.0p+112f) * 0x1.0p-110f;
        int w = Float.floatToRawIntBits(f);
        int shl1 = w + w;
        int sign = w & 0x80000000;
        int bias = shl1 & 0xFF000000;
        if (Integer.compareUnsigned(bias, 0x71000000) < 0) bias = 0x71000000;
        base = Float.intBitsToFloat((bias >>> 1) + 0x07800000) + base;
        int bits = Float.floatToRawIntBits(base);
        int exp = (bits >>> 13) & 0x7C00, mant = bits & 0x0FFF;
        return (short) ((sign >>> 16) | (Integer.compareUnsigned(shl1, 0xFF000000) > 0 ? 0x7E00 : exp + mant));
    }

    @Test
    void halfConversionsMatchGgmlsBitTrick() {
        for (int e = 0; e < 512; e++) {            // every sign and exponent
            for (int hi = 0; hi < 1024; hi++) {    // every half mantissa
                for (int lo : new int[] {0, 1, 0xfff, 0x1000, 0x1001, 0x1fff}) { // around the rounding point
                    float f = Float.intBitsToFloat(e << 23 | hi << 13 | lo);
                    assertEquals(ggmlF32ToF16(f), BlockCodecs.f32ToF16(f), () -> Integer.toHexString(Float.floatToRawIntBits(f)));
                }
            }
        }
        Random r = new Random(5);
        for (int i = 0; i < 2_000_000; i++) {
            float f = Float.intBitsToFloat(r.nextInt());
            assertEquals(ggmlF32ToF16(f), BlockCodecs.f32ToF16(f));
        }
    }

    @Test
    void halfAndBfloatRoundTrips() {
        for (int h = 0; h < 65536; h++) {
            short s = (short) h;
            float f = BlockCodecs.f16ToF32(s);
            if (Float.isNaN(f)) {
                assertEquals((short) ((h & 0x8000) | 0x7e00), BlockCodecs.f32ToF16(f));
                assertEquals(0x7fc00000, Float.floatToRawIntBits(f) & 0x7fc00000, "quiet NaN");
            } else {
                assertEquals(s, BlockCodecs.f32ToF16(f));
            }
            float g = BlockCodecs.bf16ToF32(s);
            if (!Float.isNaN(g)) assertEquals(s, BlockCodecs.f32ToBf16(g));
            else assertEquals((short) (h | 64), BlockCodecs.f32ToBf16(g), "NaN forced quiet");
        }
        assertEquals((short) 0x3f80, BlockCodecs.f32ToBf16(1f));
        assertEquals((short) 0x3f80, BlockCodecs.f32ToBf16(Float.intBitsToFloat(0x3f808000))); // tie to even (down)
        assertEquals((short) 0x3f82, BlockCodecs.f32ToBf16(Float.intBitsToFloat(0x3f818000))); // tie to even (up)
        assertEquals((short) 0x7c00, BlockCodecs.f32ToF16(65520f));
        assertEquals((short) 0x7bff, BlockCodecs.f32ToF16(65519.99f));
    }

    @Test
    void cHelpers() {
        assertEquals(3f, BlockCodecs.roundf(2.5f));
        assertEquals(-3f, BlockCodecs.roundf(-2.5f));
        assertEquals(0f, BlockCodecs.roundf(0.49999997f)); // float x+0.5 would round up to 1
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(BlockCodecs.roundf(-0.3f)));
        assertEquals(2, BlockCodecs.nearestInt(2.5f));    // ties to even
        assertEquals(4, BlockCodecs.nearestInt(3.5f));
        assertEquals(-2, BlockCodecs.nearestInt(-2.5f));
        assertEquals(Integer.MIN_VALUE, BlockCodecs.cvtt(Float.NaN));
        assertEquals(Integer.MIN_VALUE, BlockCodecs.cvtt(3e9f));
        assertEquals(-7, BlockCodecs.cvtt(-7.9f));
    }

    @Test
    void argumentChecks() {
        MemorySegment m = Arena.ofAuto().allocate(1024);
        float[] x = new float[256];
        assertThrows(IllegalArgumentException.class, () -> BlockCodecs.quantize(DType.Q4_0, x, 0, 33, m, 0));
        assertThrows(IllegalArgumentException.class, () -> BlockCodecs.dequantize(DType.Q4_K, m, 0, x, 0, 32));
        assertThrows(IndexOutOfBoundsException.class, () -> BlockCodecs.quantize(DType.Q8_0, x, 32, 256, m, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> BlockCodecs.quantize(DType.Q6_K, x, 0, 256, m, 1024 - 100));
        assertThrows(IndexOutOfBoundsException.class, () -> BlockCodecs.dequantize(DType.F32, m, 4, x, 0, 256));
        assertThrows(UnsupportedOperationException.class, () -> BlockCodecs.quantize(DType.I32, x, 0, 1, m, 0));
        BlockCodecs.quantize(DType.Q8_K, new float[256], 0, 256, m, 0); // all zero: d = 0, quants and sums 0
        for (int i = 0; i < 292; i++) assertEquals(0, m.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i));
    }
}
