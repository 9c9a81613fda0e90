package ggufc.codegen.vector.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ggufc.ir.DType;
import ggufc.ir.quant.BlockCodecs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Activation quantization is llama.cpp's quantize_row_q8_0 (BlockCodecs is its bit-exact copy). */
class ActQuantProperties {
    @Property(tries = 300)
    void levelsAndScalesAreTheQ8_0Bytes(@ForAll @IntRange(min = 1, max = 8) int blocks, @ForAll long seed) {
        Random rnd = new Random(seed);
        int k = 32 * blocks;
        float[] x = QuantData.activations(k, rnd);
        if (rnd.nextInt(3) == 0) x[rnd.nextInt(k)] = 0.5f * (rnd.nextBoolean() ? 1 : -1); // ties
        if (rnd.nextInt(4) == 0) java.util.Arrays.fill(x, 0, 32, 0f); // an all-zero block
        MemorySegment want = Arena.ofAuto().allocate(DType.Q8_0.bytesFor(k));
        BlockCodecs.quantize(DType.Q8_0, x, 0, k, want, 0);
        float[] q = new float[k], d = new float[blocks];
        ActQuant.q8_0(x, 0, k, q, 0, d, 0);
        for (int b = 0; b < blocks; b++) {
            assertEquals(BlockCodecs.f16ToF32(want.get(ValueLayout.JAVA_SHORT_UNALIGNED, 34L * b)), d[b], "scale of block " + b);
            for (int j = 0; j < 32; j++) assertEquals(want.get(ValueLayout.JAVA_BYTE, 34L * b + 2 + j), (byte) q[32 * b + j], "level " + j + " of block " + b);
        }
    }
}
