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

    /** The vector round trip (one row, and rows shared by a pool) equals BlockCodecs' quantize then dequantize, bit for bit. */
    @Property(tries = 300)
    void vectorRoundTripIsQuantizeThenDequantize(@ForAll @IntRange(min = 1, max = 8) int blocks, @ForAll @IntRange(min = 1, max = 5) int rows,
                                                @ForAll @IntRange(min = 1, max = 3) int threads, @ForAll long seed) {
        Random rnd = new Random(seed);
        int k = 32 * blocks, xo = rnd.nextInt(3);
        float[] x = QuantData.activations(xo + rows * k, rnd);
        for (int i = 0; i < 4; i++) {
            int at = xo + rnd.nextInt(rows * k);
            x[at] = (rnd.nextInt(255) - 127) * 0.5f * x[at]; // halves and ties of the level grid
        }
        if (rnd.nextBoolean()) { // a block with scale 1 (max 127): its levels are x itself, so x = n + 0.5 are exact ties
            x[xo] = 127f;
            for (int j = 1; j < 12; j++) x[xo + j] = (rnd.nextInt(200) - 100) + (j % 3 == 0 ? 0.49999997f : 0.5f);
        }
        if (rnd.nextInt(4) == 0) java.util.Arrays.fill(x, xo, xo + 32, 0f); // an all-zero block
        float[] want = new float[rows * k];
        MemorySegment blocksOut = Arena.ofAuto().allocate(DType.Q8_0.bytesFor(k));
        for (int r = 0; r < rows; r++) {
            BlockCodecs.quantize(DType.Q8_0, x, xo + r * k, k, blocksOut, 0);
            BlockCodecs.dequantize(DType.Q8_0, blocksOut, 0, want, r * k, k);
        }
        float[] got = new float[rows * k];
        try (WorkerPool pool = new WorkerPool(threads, true)) {
            ActQuant.roundTrip(pool, DType.Q8_0, x, xo, k, rows, got);
        }
        for (int i = 0; i < rows * k; i++) assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]), "element " + i + ": " + want[i] + " vs " + got[i]);
    }
}
