package ggufc.runtime.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ggufc.codegen.tornado.kernels.SamplingKernels;
import ggufc.codegen.tornado.kir.Kernel;
import ggufc.runtime.Sampler;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.constraints.IntRange;

/** The device argmax picks the host sampler's token, ties to the lowest index included (greedy parity depends on it). */
class SamplingKernelsTest {
    @Property(tries = 6, shrinking = ShrinkingMode.OFF)
    void argmaxMatchesTheHostSamplerWithTies(@ForAll @IntRange(min = 1, max = 3000) int n, @ForAll @IntRange(min = 0, max = 3) int distinct, @ForAll long seed) {
        Random r = new Random(seed);
        float[] logits = new float[n];
        // few distinct values (0 = all different) so that ties between work-items and within one are common
        for (int i = 0; i < n; i++) logits[i] = distinct == 0 ? (float) r.nextGaussian() : r.nextInt(distinct + 1) - 2.5f;
        Kernel k = SamplingKernels.argmax(n);
        OpenClDevice d = GpuOracle.device();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(4L * n, 4);
            for (int i = 0; i < n; i++) host.setAtIndex(ValueLayout.JAVA_FLOAT, i, logits[i]);
            Device.Buffer in = d.allocate(4L * n), out = d.allocate(4);
            d.write(in, 0, host);
            d.launch(d.load(List.of(k)).kernel(k.name()), new long[] {1, 1}, new Object[] {in, out});
            MemorySegment got = a.allocate(4, 4);
            d.read(out, 0, got);
            assertEquals(Sampler.argmax(logits), got.get(ValueLayout.JAVA_INT, 0));
        }
    }
}
