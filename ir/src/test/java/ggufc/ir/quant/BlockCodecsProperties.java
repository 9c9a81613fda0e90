package ggufc.ir.quant;

import ggufc.ir.DType;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

class BlockCodecsProperties {
    /** Any finite input: dequantize(quantize(x)) stays within the block's range (no blow-ups). */
    @Property(tries = 300)
    void roundTripStaysBounded(@ForAll long seed) {
        Random r = new Random(seed);
        float scale = (float) Math.pow(10, r.nextInt(9) - 6);
        float[] x = new float[512];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian() * scale * (r.nextInt(50) == 0 ? 30 : 1);
        MemorySegment q = Arena.ofAuto().allocate(4L * x.length);
        float[] y = new float[x.length];
        for (DType t : DType.values()) {
            if (!BlockCodecs.supports(t)) continue;
            BlockCodecs.quantize(t, x, 0, x.length, q, 0);
            BlockCodecs.dequantize(t, q, 0, y, 0, y.length);
            for (int b = 0; b < x.length; b += 256) {
                float amax = 0;
                for (int i = b; i < b + 256; i++) amax = Math.max(amax, Math.abs(x[i]));
                for (int i = b; i < b + 256; i++) {
                    assertTrue(Float.isFinite(y[i]) && Math.abs(y[i]) <= 2.01f * amax + 1e-30f, t + " element " + i + ": " + x[i] + " -> " + y[i]);
                }
            }
        }
    }
}
