package ggufc.passes.check;

import ggufc.ir.DType;
import ggufc.ir.Dim;
import ggufc.ir.Graph;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.TensorData;
import ggufc.ir.interp.Interpreter;
import ggufc.ir.interp.Value;
import ggufc.ir.quant.BlockCodecs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Translation validation on the reference interpreter: run two graphs on the same inputs, weights
 * and state history and compare every output of every step.
 *
 * <p>Tolerances. Exact passes: every element equal within 1e-6·(1 + |x|) (NaN matches NaN; in
 * practice the results are bit-identical, since fused ops are defined as their compositions).
 * Passes that round (quantize-activations): normalized mean squared error Σ(a−b)²/Σa² ≤ 1e-2 per
 * output of the whole graph. llama.cpp's test-backend-ops allows 5e-4 for one quantized matmul;
 * through a stack of them, norms and softmaxes (with random, unnormalized weights) the rounding
 * compounds past that, while a wrong pairing or scale gives errors near 1. The tight per-matmul
 * bound is tested on its own (passes' QuantTest).
 */
public final class Equivalence {
    private Equivalence() {}

    public static final double EXACT_RTOL = 1e-6;
    public static final double MAX_NMSE = 1e-2;

    /** Inputs for a few consecutive steps (so caches written by one step are read by the next) and the params. */
    public static final class Probe {
        private final List<Map<String, Value>> inputs;
        private final List<Map<String, Long>> symbols;
        private final Function<String, TensorData> params;

        Probe(List<Map<String, Value>> inputs, List<Map<String, Long>> symbols, Function<String, TensorData> params) {
            this.inputs = inputs;
            this.symbols = symbols;
            this.params = ggufc.ir.Slices.wrap(params);
        }

        /**
         * A probe for {@code g}: weights from {@code weights} when given, else seeded random ones;
         * random inputs in range (token ids below every embedding's row count, positions consecutive
         * from 0 or within an input's {@code max}). Null when the graph cannot be evaluated cheaply
         * (params with unknown symbolic shapes, tensors of more than 2^22 elements) or the interpreter
         * cannot run it.
         */
        public static Probe forGraph(Graph g, Function<String, TensorData> weights, long seed) {
            boolean usesT = g.symbols().contains("T");
            int[] tokensPerStep = usesT ? new int[] {2, 1} : new int[] {1, 1};
            List<Map<String, Value>> inputs = new ArrayList<>();
            List<Map<String, Long>> symbols = new ArrayList<>();
            Random r = new Random(seed);
            int past = 0;
            for (int t : tokensPerStep) {
                Map<String, Long> sym = new HashMap<>();
                for (String s : g.symbols()) sym.put(s, 2L);
                sym.put("T", (long) t);
                sym.put("L", (long) past + t);
                for (Node n : g.nodes()) {
                    long[] shape;
                    try {
                        shape = n.shape().resolve(sym);
                    } catch (IllegalArgumentException e) {
                        return null;
                    }
                    if (elements(shape) > (1L << 22)) return null;
                    if (n.op() == OpKind.PARAM && (n.dtype().isInteger() || (weights == null && !n.shape().isStatic()))) return null;
                }
                Map<String, Value> in = new LinkedHashMap<>();
                for (Node n : g.inputs()) in.put(n.name(), input(g, n, sym, past, r));
                inputs.add(in);
                symbols.add(sym);
                past += t;
            }
            Function<String, TensorData> params = weights != null ? weights : randomParams(g, seed);
            Probe p = new Probe(inputs, symbols, params);
            try {
                p.run(g);
            } catch (RuntimeException e) {
                return null; // the interpreter cannot run the input itself (a quantized view of partial blocks, say)
            }
            return p;
        }

        /** Every output of every step. */
        public List<Map<String, Value>> run(Graph g) {
            Interpreter it = new Interpreter(g, params);
            List<Map<String, Value>> r = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) {
                // snapshot: the interpreter may update a cache in place next step, under an output we keep
                Map<String, Value> out = new LinkedHashMap<>();
                for (Map.Entry<String, Value> e : it.run(inputs.get(i), symbols.get(i)).entrySet()) out.put(e.getKey(), snapshot(e.getValue()));
                r.add(out);
            }
            return r;
        }

        /** A description of the first difference beyond tolerance, or empty. */
        public Optional<String> compare(Graph before, Graph after, boolean exact) {
            List<Map<String, Value>> a = run(before), b;
            try {
                b = run(after);
            } catch (RuntimeException e) {
                return Optional.of("the interpreter fails on the result: " + e.getMessage());
            }
            // a split graph keeps its KV caches per device under their slices' names: its logits over the steps check them
            java.util.Set<String> states = new java.util.HashSet<>();
            if (ggufc.ir.Placement.isPlaced(after) && !ggufc.ir.Placement.isPlaced(before)) for (Node s : before.states()) states.add(s.name());
            for (int step = 0; step < a.size(); step++) {
                for (Map.Entry<String, Value> e : a.get(step).entrySet()) {
                    if (states.contains(e.getKey())) continue;
                    Value y = b.get(step).get(e.getKey());
                    if (y == null) return Optional.of("output \"" + e.getKey() + "\" is gone");
                    Optional<String> d = difference(e.getValue(), y, exact);
                    if (d.isPresent()) return Optional.of("output \"" + e.getKey() + "\" at step " + (step + 1) + ": " + d.get());
                }
            }
            return Optional.empty();
        }
    }

    private static Value snapshot(Value v) {
        if (v.f32() != null) return Value.ofF32(v.shape(), v.f32().clone());
        if (v.i32() != null) return Value.ofI32(v.shape(), v.i32().clone());
        return v; // raw bytes: weights or freshly quantized values, never updated in place
    }

    /** How {@code after} differs from {@code before} beyond tolerance, or empty. */
    public static Optional<String> difference(Value before, Value after, boolean exact) {
        if (!java.util.Arrays.equals(before.shape(), after.shape())) {
            return Optional.of("shape " + java.util.Arrays.toString(before.shape()) + " became " + java.util.Arrays.toString(after.shape()));
        }
        float[] x = Interpreter.toF32(before), y = Interpreter.toF32(after);
        double err = 0, norm = 0;
        for (int i = 0; i < x.length; i++) {
            float p = x[i], q = y[i];
            if (Float.isNaN(p) || Float.isNaN(q) || Float.isInfinite(p) || Float.isInfinite(q)) {
                if (Float.isNaN(p) != Float.isNaN(q) || (!Float.isNaN(p) && p != q)) return Optional.of("element " + i + ": " + p + " became " + q);
                continue;
            }
            double d = (double) p - q;
            if (exact && Math.abs(d) > EXACT_RTOL * (1 + Math.abs(p))) return Optional.of("element " + i + ": " + p + " became " + q);
            err += d * d;
            norm += (double) p * p;
        }
        if (!exact) {
            double nmse = norm == 0 ? (err == 0 ? 0 : Double.POSITIVE_INFINITY) : err / norm;
            if (nmse > MAX_NMSE) return Optional.of(String.format("normalized mean squared error %.3g > %.1g", nmse, MAX_NMSE));
        }
        return Optional.empty();
    }

    static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    private static Value input(Graph g, Node n, Map<String, Long> sym, int past, Random r) {
        long[] shape = n.shape().resolve(sym);
        int count = (int) elements(shape);
        if (n.dtype() == DType.I32) {
            int[] v = new int[count];
            Long max = n.attrs().get("max") instanceof Long m ? m : null;
            int tokenBound = tokenBound(g, n);
            boolean positions = max == null && tokenBound == 0;
            for (int i = 0; i < count; i++) {
                if (max != null) v[i] = (int) (r.nextLong(max + 1));
                else if (tokenBound > 0) v[i] = r.nextInt(tokenBound);
                else v[i] = positions ? past + i : r.nextInt(4);
            }
            return Value.ofI32(shape, v);
        }
        float[] f = new float[count];
        for (int i = 0; i < count; i++) f[i] = (float) (r.nextDouble() * 4 - 2);
        return n.dtype() == DType.F32 ? Value.ofF32(shape, f) : Value.ofRaw(encode(n.dtype(), shape, f));
    }

    /** Rows of the smallest embedding table indexed by {@code ids}, or 0 when none is. */
    private static int tokenBound(Graph g, Node ids) {
        int bound = 0;
        for (Node n : g.nodes()) {
            if (n.op() == OpKind.EMBED && n.input(1) == ids) {
                Dim rows = n.input(0).shape().dim(0);
                int b = rows.isSymbolic() ? 2 : (int) rows.size();
                bound = bound == 0 ? b : Math.min(bound, b);
            }
        }
        return bound;
    }

    /** Seeded random weights: uniform in [-1, 1], encoded in each param's dtype. */
    public static Function<String, TensorData> randomParams(Graph g, long seed) {
        Map<String, Node> byName = new HashMap<>();
        for (Node p : g.params()) byName.put(p.name(), p);
        Map<String, TensorData> cache = new ConcurrentHashMap<>();
        return name -> cache.computeIfAbsent(name, k -> {
            Node p = byName.get(k);
            if (p == null) return null;
            long[] shape = p.shape().resolve(Map.of());
            Random r = new Random(seed * 31 + k.hashCode());
            float[] f = new float[(int) elements(shape)];
            for (int i = 0; i < f.length; i++) f[i] = (float) (r.nextDouble() * 2 - 1);
            return encode(p.dtype(), shape, f);
        });
    }

    /** {@code values} in {@code dtype}'s layout. */
    public static TensorData encode(DType dtype, long[] shape, float[] values) {
        MemorySegment seg = Arena.ofAuto().allocate(Math.max(1, dtype.bytesFor(values.length)), 8);
        if (dtype == DType.F32) MemorySegment.copy(values, 0, seg, java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, values.length);
        else BlockCodecs.quantize(dtype, values, 0, values.length, seg, 0);
        return new TensorData(dtype, shape, seg);
    }
}
