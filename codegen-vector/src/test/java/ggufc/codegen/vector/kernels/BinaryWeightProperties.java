package ggufc.codegen.vector.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link Ops#binaryWeight} (a bias or per-channel scale read from a mapped f32 weight and broadcast
 * over the rows) against its definition, element for element: row lengths below, at and above a
 * vector (tails included), offsets into the activation and output arrays, add and mul.
 */
class BinaryWeightProperties {
    @Property(tries = 200)
    void binaryWeightMatchesTheDefinition(@ForAll @IntRange(min = 1, max = 70) int m, @ForAll @IntRange(min = 1, max = 5) int rows,
                                          @ForAll @IntRange(min = 0, max = 3) int ao, @ForAll @IntRange(min = 0, max = 3) int oo,
                                          @ForAll boolean mul, @ForAll long seed) {
        Random rnd = new Random(seed);
        int n = m * rows;
        float[] a = new float[ao + n], w = new float[m], out = new float[oo + n];
        for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < m; i++) w[i] = (float) rnd.nextGaussian();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(4L * m);
            for (int i = 0; i < m; i++) seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * i, w[i]);
            Ops.binaryWeight(mul, a, ao, seg, m, n, out, oo);
        }
        for (int i = 0; i < n; i++) {
            float want = mul ? a[ao + i] * w[i % m] : a[ao + i] + w[i % m];
            assertEquals(want, out[oo + i], 0f, "element " + i + " (m " + m + ", rows " + rows + ", " + (mul ? "mul" : "add") + ")");
        }
    }
}
