package ggufc.runtime.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.ir.TensorData;
import ggufc.ir.interp.Interpreter;
import ggufc.ir.interp.Value;
import ggufc.ir.quant.BlockCodecs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Runs a small graph on the reference interpreter and on the OpenCL device (PoCL here) and compares
 * every output. Closeness is measured as llama.cpp's test-backend-ops does: normalized mean squared
 * error, sum (got - want)^2 / sum want^2.
 */
final class GpuOracle {
    private GpuOracle() {}

    private static final java.util.EnumMap<OpenClDevice.Source, OpenClDevice> DEVICES = new java.util.EnumMap<>(OpenClDevice.Source.class);

    /** One device per kernel source for the whole test JVM (contexts are costly on PoCL); released at exit. */
    static synchronized OpenClDevice device(OpenClDevice.Source source) {
        return DEVICES.computeIfAbsent(source, s -> {
            OpenClDevice d = OpenClDevice.open(0, s);
            Runtime.getRuntime().addShutdownHook(new Thread(d::close));
            return d;
        });
    }

    static OpenClDevice device() { return device(OpenClDevice.Source.OPENCL_C); }

    /** One step's inputs and symbol values. */
    record Step(Map<String, int[]> ints, Map<String, float[]> floats, long t, long l) {}

    /**
     * Runs {@code steps} in order on both sides (state carries over) and checks every output of
     * every step with {@code maxNmse}.
     */
    static void check(Graph g, Map<String, TensorData> params, int ctx, double maxNmse, List<Step> steps) {
        check(OpenClDevice.Source.OPENCL_C, g, params, ctx, maxNmse, steps);
    }

    static void check(OpenClDevice.Source source, Graph g, Map<String, TensorData> params, int ctx, double maxNmse, List<Step> steps) {
        Interpreter interp = new Interpreter(g, params::get, false);
        try (DeviceExecutor dev = new DeviceExecutor(g, params::get, ctx, ctx, device(source), false)) {
            int s = 0;
            for (Step step : steps) {
                Map<String, Value> in = new HashMap<>();
                Map<String, Long> sym = Map.of("T", step.t(), "L", step.l());
                for (var e : step.ints().entrySet()) in.put(e.getKey(), Value.ofI32(g.inputs().stream().filter(n -> n.name().equals(e.getKey())).findFirst().orElseThrow().shape().resolve(sym), e.getValue()));
                for (var e : step.floats().entrySet()) in.put(e.getKey(), Value.ofF32(g.inputs().stream().filter(n -> n.name().equals(e.getKey())).findFirst().orElseThrow().shape().resolve(sym), e.getValue()));
                Map<String, Value> want = interp.run(in, sym);
                dev.runRaw(step.ints(), step.floats(), step.t(), step.l());
                Map<String, long[]> shapes = new LinkedHashMap<>();
                for (var e : want.entrySet()) shapes.put(e.getKey(), e.getValue().shape());
                Map<String, float[]> got = dev.readOutputs(shapes);
                for (var e : want.entrySet()) {
                    float[] w = Interpreter.toF32(e.getValue());
                    assertClose(got.get(e.getKey()), w, maxNmse, "step " + s + " output \"" + e.getKey() + "\"");
                }
                s++;
            }
        }
    }

    /** Below this output RMS, errors are measured against it (see {@link #assertClose}). */
    static final double NEAR_ZERO_RMS = 1e-3;

    static void assertClose(float[] got, float[] want, double maxNmse, String what) {
        assertEquals(want.length, got.length, what + ": length");
        double err = 0, ref = 0;
        for (int i = 0; i < want.length; i++) {
            boolean gi = Float.isInfinite(got[i]), wi = Float.isInfinite(want[i]);
            if (gi || wi) {
                assertEquals(want[i], got[i], what + ": element " + i);
                continue;
            }
            assertTrue(!Float.isNaN(got[i]) || Float.isNaN(want[i]), what + ": NaN at " + i + " (want " + want[i] + ")");
            double d = got[i] - want[i];
            err += d * d;
            ref += (double) want[i] * want[i];
        }
        // the graphs here keep their values O(1) (activations scaled 1/sqrt(k)); an output whose RMS is below 1e-3 is a
        // near-cancellation (a 1-row product of -2.3e-4 from terms of 0.03, say), where float rounding of the O(1) terms
        // cannot be judged relative to the output itself: it is judged against that RMS instead (a wrong kernel is off by O(1))
        double nmse = err / Math.max(ref, want.length * NEAR_ZERO_RMS * NEAR_ZERO_RMS);
        assertTrue(nmse <= maxNmse, String.format("%s: NMSE %.3g > %.3g (first elements got %s want %s)", what, nmse, maxNmse,
                java.util.Arrays.toString(java.util.Arrays.copyOf(got, Math.min(6, got.length))), java.util.Arrays.toString(java.util.Arrays.copyOf(want, Math.min(6, want.length)))));
    }

    static float[] normal(Random r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
        return a;
    }

    /** A [rows, k] weight of dtype {@code t} made from random values by BlockCodecs (llama.cpp's quantizers). */
    static TensorData weight(Random r, DType t, int rows, int k) {
        float[] v = normal(r, rows * k, 0.5);
        MemorySegment m = Arena.ofAuto().allocate(Math.max(4, t.bytesFor((long) rows * k)), 8);
        BlockCodecs.quantize(t, v, 0, v.length, m, 0);
        return new TensorData(t, new long[] {rows, k}, m);
    }

    static int[] positions(int start, int t) {
        int[] p = new int[t];
        for (int i = 0; i < t; i++) p[i] = start + i;
        return p;
    }
}
