package ggufc.ir.interp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** all_reduce's arithmetic in each reduce type, against values worked out by hand. */
class CollectivesTest {
    @Test
    void f32SumsInDeviceOrder() {
        float[] out = new float[3];
        Collectives.allReduce(new float[][] {{1e8f, 1, 2}, {-1e8f, 3, 4}, {1, 5, 6}}, 3, 3, "f32", out);
        // ((1e8 + -1e8) + 1) = 1 exactly; the other lanes are small integers
        assertArrayEquals(new float[] {1, 9, 12}, out);
    }

    @Test
    void f16RoundsEachPartAndEachRunningSum() {
        float[] out = new float[2];
        // 1 + 2^-11 rounds to 1 in f16 (ties to even); 2048 + 1 = 2049 rounds to 2048 (f16 spacing is 2 there)
        Collectives.allReduce(new float[][] {{1 + 0x1p-11f, 2048}, {0, 1}}, 2, 2, "f16", out);
        assertArrayEquals(new float[] {1, 2048}, out);
    }

    @Test
    void bf16KeepsEightBitsOfMantissa() {
        float[] out = new float[1];
        // 257 is not representable in bf16 (spacing 2 between 256 and 512): 257 -> 256 (ties to even); 256 + 256 = 512
        Collectives.allReduce(new float[][] {{257}, {256}}, 1, 1, "bf16", out);
        assertArrayEquals(new float[] {512}, out);
    }

    @Test
    void q8_0RoundsEachPartToItsBlockScale() {
        float[] a = new float[32], b = new float[32], out = new float[32];
        for (int i = 0; i < 32; i++) a[i] = i == 0 ? 127 : 0.3f; // scale 1: 0.3 rounds to 0
        b[0] = 1;
        Collectives.allReduce(new float[][] {a, b}, 32, 32, "q8_0", out);
        // b's block: amax 1, scale f16(1/127) = 0.0078735..., q = 127: 127 * 0.0078735 = 0.99994 (not 1)
        float bScale = ggufc.ir.quant.BlockCodecs.f16ToF32(ggufc.ir.quant.BlockCodecs.f32ToF16(1f / 127));
        assertEquals(127 + 127 * bScale, out[0]);
        assertEquals(0, out[5]);
    }

    @Test
    void f16OverflowIsRefusedWithWhatToDo() {
        ArithmeticException e = assertThrows(ArithmeticException.class,
                () -> Collectives.allReduce(new float[][] {{40000}, {40000}}, 1, 1, "f16", new float[1]));
        assertTrue(e.getMessage().contains("beyond f16's range") && e.getMessage().contains("--reduce-type bf16"), e.getMessage());
        assertThrows(ArithmeticException.class, () -> Collectives.allReduce(new float[][] {{70000}, {1}}, 1, 1, "f16", new float[1]));
        float[] ok = new float[1];
        Collectives.allReduce(new float[][] {{40000}, {40000}}, 1, 1, "bf16", ok);
        assertEquals(80000, ok[0], 512);
    }
}
