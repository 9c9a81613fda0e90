package ggufc.ir.interp;

import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.TensorData;
import ggufc.ir.TypeRules;
import ggufc.ir.quant.BlockCodecs;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * The reference interpreter: plain Java, one op at a time, defining what every graph means. It is
 * the oracle that passes and generated kernels are checked against, so it favours clarity and
 * accuracy (double accumulators for sums) over speed.
 *
 * <p>State leaves (KV caches) live in the interpreter between {@link #run} calls and are written
 * back from outputs of the same name; they start as zeros.
 */
public final class Interpreter {
    private final Graph graph;
    private final Function<String, TensorData> params;
    private final Map<String, Value> states;
    private final Map<Node, Integer> uses;
    private final boolean parallel;

    /** {@code params} maps a param name to its bytes (e.g. a slice of a memory-mapped GGUF). */
    public Interpreter(Graph graph, Function<String, TensorData> params) {
        this(graph, params, true);
    }

    public Interpreter(Graph graph, Function<String, TensorData> params, boolean parallel) {
        this(graph, params, parallel, new HashMap<>());
    }

    private Interpreter(Graph graph, Function<String, TensorData> params, boolean parallel, Map<String, Value> states) {
        this.states = states;
        this.graph = graph;
        this.params = params;
        this.uses = graph.useCounts();
        this.parallel = parallel;
    }

    public Graph graph() { return graph; }

    /**
     * An interpreter of {@code other} that shares this one's states (by name, the same arrays): a
     * draft step writing the first layers' KV caches of its target.
     */
    public Interpreter sharingStates(Graph other) { return new Interpreter(other, params, parallel, states); }

    /** As {@link #sharingStates(Graph)} with weights of its own (a drafter from another file). */
    public Interpreter sharingStates(Graph other, Function<String, TensorData> otherParams) { return new Interpreter(other, otherParams, parallel, states); }

    /** Drops all state (an empty KV cache). */
    public void resetState() { states.clear(); }

    /** Current value of a state, or null before it is first used. */
    public Value state(String name) { return states.get(name); }

    /**
     * Runs one step. {@code inputs} by input name; {@code symbols} binds the dimension symbols
     * (e.g. T and L). Returns every graph output by name.
     */
    public Map<String, Value> run(Map<String, Value> inputs, Map<String, Long> symbols) {
        Map<Node, Value> env = new HashMap<>();
        for (Node n : graph.nodes()) {
            try {
                env.put(n, eval(n, env, inputs, symbols));
            } catch (RuntimeException e) {
                throw new IllegalStateException("interpreting " + n + ": " + e.getMessage(), e);
            }
        }
        Map<String, Value> out = new LinkedHashMap<>();
        for (var e : graph.outputs().entrySet()) {
            Value v = env.get(e.getValue());
            out.put(e.getKey(), v);
        }
        for (Node s : graph.states()) {
            Node written = graph.outputs().get(s.name());
            if (written != null) states.put(s.name(), env.get(written));
        }
        return out;
    }

    private Value eval(Node n, Map<Node, Value> env, Map<String, Value> inputs, Map<String, Long> symbols) {
        List<Node> in = n.inputs();
        return switch (n.op()) {
            case INPUT -> {
                Value v = inputs.get(n.name());
                if (v == null) throw new IllegalArgumentException("input \"" + n.name() + "\" was not given");
                long[] want = n.shape().resolve(symbols);
                if (!java.util.Arrays.equals(want, v.shape()) || v.dtype() != n.dtype()) {
                    throw new IllegalArgumentException("input \"" + n.name() + "\" is " + v + ", the graph wants " + n.dtype().irName() + " " + java.util.Arrays.toString(want));
                }
                yield v;
            }
            case PARAM -> {
                TensorData d = params.apply(n.name());
                if (d == null) throw new IllegalArgumentException("no data for param \"" + n.name() + "\"");
                if (d.dtype() != n.dtype() || !java.util.Arrays.equals(d.shape(), n.shape().resolve(symbols))) {
                    throw new IllegalArgumentException("param \"" + n.name() + "\" data is " + d.dtype() + " " + java.util.Arrays.toString(d.shape()) + ", the graph declares " + n.type());
                }
                yield Value.ofRaw(d);
            }
            case STATE -> states.computeIfAbsent(n.name(), k -> Value.ofF32(n.shape().resolve(symbols), new float[(int) TensorData.elements(n.shape().resolve(symbols))]));
            case CONSTANT -> {
                List<Double> vals = n.attrs().reals("values");
                long[] shape = n.shape().resolve(symbols);
                if (n.dtype() == DType.I32) {
                    int[] a = new int[vals.size()];
                    for (int i = 0; i < a.length; i++) a[i] = vals.get(i).intValue();
                    yield Value.ofI32(shape, a);
                }
                float[] a = new float[vals.size()];
                for (int i = 0; i < a.length; i++) a[i] = vals.get(i).floatValue();
                yield Value.ofF32(shape, a);
            }
            case ADD, MUL -> binary(n.op(), env.get(in.get(0)), env.get(in.get(1)));
            case SCALE -> {
                float f = (float) n.attrs().real("factor");
                yield unary(env.get(in.get(0)), v -> v * f);
            }
            case SILU -> unary(env.get(in.get(0)), Interpreter::silu);
            case GELU -> unary(env.get(in.get(0)), Interpreter::gelu);
            case SOFTCAP -> {
                float cap = (float) n.attrs().real("cap");
                yield unary(env.get(in.get(0)), v -> softcap(v, cap));
            }
            case SOFTMAX -> softmax(env.get(in.get(0)));
            case RMS_NORM -> rmsNorm(env.get(in.get(0)), env.get(in.get(1)), n.attrs().real("eps"));
            case MATMUL -> matmul(act(n, env.get(in.get(0)), in.get(1)), env.get(in.get(1)));
            case EMBED -> embed(env.get(in.get(0)), env.get(in.get(1)));
            case ROPE -> rope(env.get(in.get(0)), env.get(in.get(1)), n.attrs().string("mode").equals("neox"),
                    (int) n.attrs().integer("n_rot"), (float) n.attrs().real("freq_base"), (float) n.attrs().real("freq_scale"),
                    factors(n, env));
            case KV_WRITE -> kvWrite(n, in.get(0), env.get(in.get(0)), env.get(in.get(1)), env.get(in.get(2)));
            case KV_READ -> kvRead(env.get(in.get(0)), n.shape().resolve(symbols));
            case ATTN_SCORES -> attnScores(env.get(in.get(0)), env.get(in.get(1)), (float) n.attrs().real("scale"));
            case CAUSAL_MASK -> causalMask(env.get(in.get(0)), env.get(in.get(1)), TypeRules.window(n));
            case ATTN_VALUES -> attnValues(env.get(in.get(0)), env.get(in.get(1)));
            case ATTENTION -> {
                Value q = env.get(in.get(0)), k = env.get(in.get(1)), v = env.get(in.get(2)), pos = env.get(in.get(3));
                Value sc = attnScores(q, k, (float) n.attrs().real("scale"));
                float cap = TypeRules.softcap(n);
                if (cap > 0) sc = unary(sc, x -> softcap(x, cap));
                Value s = causalMask(sc, pos, TypeRules.window(n));
                yield attnValues(softmax(s), v);
            }
            case TOPK -> topk(env.get(in.get(0)), (int) n.attrs().integer("k"));
            case TAKE_ALONG -> takeAlong(env.get(in.get(0)), env.get(in.get(1)));
            case SUM_NORMALIZE -> sumNormalize(env.get(in.get(0)), (float) n.attrs().real("min"));
            case MATMUL_ID -> matmulId(env.get(in.get(0)), env.get(in.get(1)), env.get(in.get(2)), in.size() > 3 ? env.get(in.get(3)) : null);
            case WEIGHTED_SUM -> weightedSum(env.get(in.get(0)), env.get(in.get(1)));
            case RESHAPE -> {
                Value x = env.get(in.get(0));
                long[] shape = n.shape().resolve(symbols);
                yield x.isRaw() ? new Value(x.dtype(), shape, null, null, new TensorData(x.raw().dtype(), shape, x.raw().bytes()))
                        : x.dtype() == DType.I32 ? Value.ofI32(shape, x.i32()) : Value.ofF32(shape, x.f32());
            }
            case LAST_ROW -> {
                Value x = env.get(in.get(0));
                int d = x.rowLength(), t = x.rows();
                float[] r = new float[d];
                System.arraycopy(toF32(x), (t - 1) * d, r, 0, d);
                yield Value.ofF32(new long[] {1, d}, r);
            }
            // a dequantized weight stays its raw bytes viewed as f32; rows are decoded where they are read
            case DEQUANT -> {
                Value x = env.get(in.get(0));
                yield x.isRaw() ? new Value(DType.F32, x.shape(), null, null, x.raw()) : Value.ofF32(x.shape(), toF32(x));
            }
            case QUANTIZE -> quantize(env.get(in.get(0)), n.dtype());
            case ALL_REDUCE -> {
                Value[] parts = new Value[in.size()];
                for (int i = 0; i < parts.length; i++) parts[i] = env.get(in.get(i));
                yield allReduce(parts, n.attrs().string("reduce"));
            }
            case ALL_GATHER, CONCAT -> {
                Value[] parts = new Value[in.size()];
                for (int i = 0; i < parts.length; i++) parts[i] = env.get(in.get(i));
                yield allGather(parts, (int) n.attrs().integer("axis"), n.shape().resolve(symbols));
            }
            case TRANSFER -> env.get(in.get(0));
            case NORM_MATMUL -> {
                Value h = rmsNorm(env.get(in.get(0)), env.get(in.get(1)), n.attrs().real("eps"));
                Value[] parts = new Value[in.size() - 2];
                for (int i = 2; i < in.size(); i++) parts[i - 2] = matmul(act(n, h, in.get(i)), env.get(in.get(i)));
                yield concatLast(parts);
            }
            case SPLIT -> split(env.get(in.get(0)), (int) n.attrs().integer("offset"), (int) n.attrs().integer("size"));
            case GLU_MATMUL, NORM_GLU_MATMUL -> {
                int base = n.op() == OpKind.NORM_GLU_MATMUL ? 1 : 0;
                Value x = env.get(in.get(0));
                if (base == 1) x = rmsNorm(x, env.get(in.get(1)), n.attrs().real("eps"));
                Value g = matmul(act(n, x, in.get(base + 1)), env.get(in.get(base + 1))), u = matmul(act(n, x, in.get(base + 2)), env.get(in.get(base + 2)));
                g = n.attrs().string("act").equals("silu") ? unary(g, Interpreter::silu) : unary(g, Interpreter::gelu);
                yield binary(OpKind.MUL, g, u);
            }
            case MATMUL_ADD -> binary(OpKind.ADD, matmul(act(n, env.get(in.get(0)), in.get(1)), env.get(in.get(1))), env.get(in.get(2)));
            case ROPE_KV_WRITE -> {
                Value roped = rope(env.get(in.get(1)), env.get(in.get(2)), n.attrs().string("mode").equals("neox"),
                        (int) n.attrs().integer("n_rot"), (float) n.attrs().real("freq_base"), (float) n.attrs().real("freq_scale"),
                        factors(n, env));
                yield kvWrite(n, in.get(0), env.get(in.get(0)), roped, env.get(in.get(2)));
            }
        };
    }

    // ---- ops ----------------------------------------------------------------------------------

    /**
     * The activation {@code x} as matmul-family op {@code n} feeds it to weight {@code w}: rounded to
     * the weight's paired type (quantized and decoded back) when {@code n} has {@code act_quant = true}.
     */
    private static Value act(Node n, Value x, Node w) {
        if (!Boolean.TRUE.equals(n.attrs().get(TypeRules.ACT_QUANT)) || x.dtype() != DType.F32 || x.isRaw()) return x;
        DType to = TypeRules.activationTypeFor(w.dtype());
        if (to == null) return x;
        return Value.ofF32(x.shape(), toF32(quantize(x, to)));
    }

    /** All elements as f32 (decoding raw weights). */
    public static float[] toF32(Value v) {
        if (v.f32() != null) return v.f32();
        if (v.i32() != null) {
            float[] r = new float[v.i32().length];
            for (int i = 0; i < r.length; i++) r[i] = v.i32()[i];
            return r;
        }
        float[] r = new float[(int) v.elements()];
        BlockCodecs.dequantize(v.raw().dtype(), v.raw().bytes(), 0, r, 0, r.length);
        return r;
    }

    /** Row {@code r} of a 2-D f32 or raw tensor as f32. */
    private static void row(Value v, int r, float[] dst) {
        int k = v.rowLength();
        if (v.f32() != null) {
            System.arraycopy(v.f32(), r * k, dst, 0, k);
        } else {
            BlockCodecs.dequantize(v.raw().dtype(), v.raw().bytes(), r * v.raw().rowBytes(), dst, 0, k);
        }
    }

    /**
     * {@code all_reduce}: the operands summed in their order (so every device gets the same bits), each first rounded to
     * the reduce type; with f16/bf16 every running sum is rounded again, q8_0 (rows of whole blocks) sums in f32.
     */
    public static Value allReduce(Value[] parts, String reduce) {
        int n = (int) parts[0].elements();
        float[][] xs = new float[parts.length][];
        for (int p = 0; p < parts.length; p++) xs[p] = toF32(parts[p]);
        float[] sum = new float[n];
        Collectives.allReduce(xs, n, parts[0].rowLength(), reduce, sum);
        return Value.ofF32(parts[0].shape(), sum);
    }

    /** {@code all_gather}: the operands concatenated along {@code axis} into {@code shape} ({@link Collectives#allGather}; i32 too). */
    static Value allGather(Value[] parts, int axis, long[] shape) {
        long outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.length; i++) inner *= shape[i];
        int[] widths = new int[parts.length];
        for (int p = 0; p < parts.length; p++) widths[p] = (int) (parts[p].shape()[axis] * inner);
        int n = (int) TensorData.elements(shape);
        if (parts[0].dtype() != DType.I32) {
            float[][] xs = new float[parts.length][];
            for (int p = 0; p < xs.length; p++) xs[p] = toF32(parts[p]);
            float[] out = new float[n];
            Collectives.allGather(xs, widths, (int) outer, out);
            return Value.ofF32(shape, out);
        }
        int[] out = new int[n];
        int total = (int) (shape[axis] * inner);
        for (int r = 0, off; r < outer; r++) {
            off = r * total;
            for (int p = 0; p < parts.length; p++) {
                System.arraycopy(parts[p].i32(), r * widths[p], out, off, widths[p]);
                off += widths[p];
            }
        }
        return Value.ofI32(shape, out);
    }

    private static Value binary(OpKind op, Value a, Value b) {
        float[] x = toF32(a), y = toF32(b), r = new float[x.length];
        int m = y.length;
        for (int i = 0; i < x.length; i++) r[i] = op == OpKind.ADD ? x[i] + y[i % m] : x[i] * y[i % m];
        return Value.ofF32(a.shape(), r);
    }

    private static Value unary(Value a, FloatOp f) {
        float[] x = toF32(a), r = new float[x.length];
        for (int i = 0; i < r.length; i++) r[i] = f.apply(x[i]);
        return Value.ofF32(a.shape(), r);
    }

    private interface FloatOp { float apply(float x); }

    private static float silu(float v) { return v / (1.0f + (float) Math.exp(-v)); }

    private static Value quantize(Value x, DType to) {
        float[] data = toF32(x);
        long bytes = to.bytesFor(data.length);
        java.lang.foreign.MemorySegment seg = java.lang.foreign.Arena.ofAuto().allocate(bytes, 8);
        BlockCodecs.quantize(to, data, 0, data.length, seg, 0);
        return Value.ofRaw(new TensorData(to, x.shape(), seg));
    }

    private static Value concatLast(Value[] parts) {
        if (parts.length == 1) return parts[0];
        int rows = parts[0].rows(), total = 0;
        for (Value p : parts) total += p.rowLength();
        float[] r = new float[rows * total];
        int off = 0;
        for (Value p : parts) {
            int w = p.rowLength();
            for (int t = 0; t < rows; t++) System.arraycopy(p.f32(), t * w, r, t * total + off, w);
            off += w;
        }
        long[] shape = parts[0].shape().clone();
        shape[shape.length - 1] = total;
        return Value.ofF32(shape, r);
    }

    private static Value split(Value x, int offset, int size) {
        float[] a = toF32(x);
        int w = x.rowLength(), rows = x.rows();
        float[] r = new float[rows * size];
        for (int t = 0; t < rows; t++) System.arraycopy(a, t * w + offset, r, t * size, size);
        long[] shape = x.shape().clone();
        shape[shape.length - 1] = size;
        return Value.ofF32(shape, r);
    }

    /**
     * GELU as ggml's CPU backend computes it (GGML_GELU_FP16): the tanh approximation looked up in a
     * table of halves, i.e. evaluated at x rounded to f16 and rounded to f16 itself; 0 from -10 down,
     * x from 10 up.
     */
    private static float gelu(float x) {
        if (x <= -10f) return 0f;
        if (x >= 10f) return x;
        float h = Float.float16ToFloat(Float.floatToFloat16(x));
        final float c = 0.7978845608028654f; // sqrt(2/pi)
        return Float.float16ToFloat(Float.floatToFloat16(0.5f * h * (1.0f + (float) Math.tanh(c * h * (1.0f + 0.044715f * h * h)))));
    }

    /** cap * tanh(x * (1 / cap)) in f32, as llama.cpp's scale, ggml_tanh (tanhf), scale. */
    public static float softcap(float x, float cap) {
        return cap * (float) Math.tanh(x * (1.0f / cap));
    }

    private static Value softmax(Value a) {
        int d = a.rowLength(), rows = a.rows();
        float[] x = toF32(a), r = new float[x.length];
        for (int t = 0; t < rows; t++) {
            int o = t * d;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < d; i++) max = Math.max(max, x[o + i]);
            double sum = 0;
            for (int i = 0; i < d; i++) {
                float e = max == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp(x[o + i] - max);
                r[o + i] = e;
                sum += e;
            }
            float inv = sum == 0 ? 0f : (float) (1.0 / sum);
            for (int i = 0; i < d; i++) r[o + i] *= inv;
        }
        return Value.ofF32(a.shape(), r);
    }

    private static Value rmsNorm(Value a, Value w, double eps) {
        int d = a.rowLength(), rows = a.rows();
        float[] x = toF32(a), wt = toF32(w), r = new float[x.length];
        for (int t = 0; t < rows; t++) {
            int o = t * d;
            double sum = 0;
            for (int i = 0; i < d; i++) sum += (double) x[o + i] * x[o + i];
            float scale = (float) (1.0 / Math.sqrt((float) (sum / d) + (float) eps));
            for (int i = 0; i < d; i++) r[o + i] = (x[o + i] * scale) * wt[i];
        }
        return Value.ofF32(a.shape(), r);
    }

    private Value matmul(Value xv, Value w) {
        int k = xv.rowLength(), t = xv.rows(), nOut = w.rows();
        float[] x = toF32(xv), r = new float[t * nOut];
        IntStream rows = IntStream.range(0, nOut);
        (parallel && (long) nOut * k * t > 1 << 16 ? rows.parallel() : rows).forEach(j -> {
            float[] wr = new float[k];
            row(w, j, wr);
            for (int s = 0; s < t; s++) {
                double acc = 0;
                int o = s * k;
                for (int i = 0; i < k; i++) acc += (double) x[o + i] * wr[i];
                r[s * nOut + j] = (float) acc;
            }
        });
        long[] shape = xv.shape().clone();
        shape[shape.length - 1] = nOut;
        return Value.ofF32(shape, r);
    }

    /** Indices of the k largest of each row, largest first; equal values: lower index first (a stable selection). */
    public static Value topk(Value xv, int k) {
        int d = xv.rowLength(), rows = xv.rows();
        float[] x = toF32(xv);
        int[] r = new int[rows * k];
        boolean[] taken = new boolean[d];
        for (int t = 0; t < rows; t++) {
            java.util.Arrays.fill(taken, false);
            int o = t * d;
            for (int j = 0; j < k; j++) {
                int best = -1;
                for (int i = 0; i < d; i++) {
                    if (taken[i]) continue;
                    // NaN sorts below everything (never greater), so a NaN is picked only when nothing else is left
                    if (best < 0 || x[o + i] > x[o + best] || (Float.isNaN(x[o + best]) && !Float.isNaN(x[o + i]))) best = i;
                }
                taken[best] = true;
                r[t * k + j] = best;
            }
        }
        long[] shape = xv.shape().clone();
        shape[shape.length - 1] = k;
        return Value.ofI32(shape, r);
    }

    private static Value takeAlong(Value xv, Value idx) {
        int n = xv.rowLength(), k = idx.rowLength(), rows = idx.rows();
        float[] x = toF32(xv), r = new float[rows * k];
        int[] ix = idx.i32();
        for (int t = 0; t < rows; t++) {
            for (int j = 0; j < k; j++) {
                int i = ix[t * k + j];
                if (i < 0 || i >= n) throw new IllegalArgumentException("take_along: index " + i + " outside the last dim of " + n);
                r[t * k + j] = x[t * n + i];
            }
        }
        return Value.ofF32(idx.shape(), r);
    }

    /** x / max(sum(x), min) per row, the sum in double rounded to f32 (ggml_sum_rows, ggml_clamp, ggml_div). */
    private static Value sumNormalize(Value xv, float min) {
        int k = xv.rowLength(), rows = xv.rows();
        float[] x = toF32(xv), r = new float[x.length];
        for (int t = 0; t < rows; t++) {
            double sum = 0;
            for (int j = 0; j < k; j++) sum += x[t * k + j];
            float s = Math.max((float) sum, min);
            for (int j = 0; j < k; j++) r[t * k + j] = x[t * k + j] / s;
        }
        return Value.ofF32(xv.shape(), r);
    }

    /** out[t, k] = w[ids[t, k]] . x[t, k] (x[t] for a rank-2 x), times scale[ids[t, k]] when given; double accumulators as matmul. */
    private Value matmulId(Value xv, Value w, Value ids, Value scale) {
        int n = xv.rowLength(), nTok = (int) ids.shape()[0], kUsed = (int) ids.shape()[1];
        int nExp = (int) w.shape()[0], m = (int) w.shape()[1];
        boolean perSlot = xv.shape().length == 3;
        float[] x = toF32(xv), r = new float[nTok * kUsed * m], sc = scale == null ? null : toF32(scale);
        int[] id = ids.i32();
        for (int e : id) if (e < 0 || e >= nExp) throw new IllegalArgumentException("matmul_id: expert id " + e + " outside the " + nExp + " experts");
        IntStream slots = IntStream.range(0, nTok * kUsed);
        (parallel && (long) nTok * kUsed * m * n > 1 << 16 ? slots.parallel() : slots).forEach(s -> {
            int e = id[s], xo = (perSlot ? s : s / kUsed) * n;
            float[] wr = new float[n];
            for (int j = 0; j < m; j++) {
                row(w, e * m + j, wr);
                double acc = 0;
                for (int i = 0; i < n; i++) acc += (double) x[xo + i] * wr[i];
                float v = (float) acc;
                r[s * m + j] = sc == null ? v : v * sc[e];
            }
        });
        return Value.ofF32(new long[] {nTok, kUsed, m}, r);
    }

    /** out[t] = sum_k w[t, k] * y[t, k, :], accumulated in f32 in k order (ggml_mul then the chain of ggml_add). */
    private static Value weightedSum(Value yv, Value wv) {
        int nTok = (int) yv.shape()[0], kUsed = (int) yv.shape()[1], n = (int) yv.shape()[2];
        float[] y = toF32(yv), w = toF32(wv), r = new float[nTok * n];
        for (int t = 0; t < nTok; t++) {
            for (int i = 0; i < n; i++) {
                float acc = 0f;
                for (int k = 0; k < kUsed; k++) {
                    float v = y[(t * kUsed + k) * n + i] * w[t * kUsed + k];
                    acc = k == 0 ? v : acc + v;
                }
                r[t * n + i] = acc;
            }
        }
        return Value.ofF32(new long[] {nTok, n}, r);
    }

    private static Value embed(Value table, Value ids) {
        int d = table.rowLength(), vocab = table.rows(), t = ids.i32().length;
        float[] r = new float[t * d], buf = new float[d];
        for (int s = 0; s < t; s++) {
            int id = ids.i32()[s];
            if (id < 0 || id >= vocab) throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + vocab);
            row(table, id, buf);
            System.arraycopy(buf, 0, r, s * d, d);
        }
        return Value.ofF32(new long[] {t, d}, r);
    }

    /**
     * Rotary embedding as ggml computes it: per pair, theta = pos * freq_scale * base^(-2i/n_rot),
     * with the power built by repeated float multiplication like ggml so results agree to the ulp.
     * normal mode rotates adjacent pairs (x[2i], x[2i+1]); neox rotates (x[i], x[i + n_rot/2]).
     */
    /** The values of a rope's freq_factors operand, or null without one. */
    private static float[] factors(Node n, Map<Node, Value> env) {
        Node ff = TypeRules.freqFactors(n);
        return ff == null ? null : toF32(env.get(ff));
    }

    /** {@code factors} (nullable): pair i's angle is divided by factors[i] before the frequency scale, as ggml's rope_yarn(theta / ff). */
    private static Value rope(Value xv, Value pos, boolean neox, int nRot, float base, float freqScale, float[] factors) {
        int t = (int) xv.shape()[0], h = (int) xv.shape()[1], dh = (int) xv.shape()[2];
        float[] x = toF32(xv), r = x.clone();
        float thetaScale = (float) Math.pow(base, -2.0f / nRot);
        for (int s = 0; s < t; s++) {
            float[] cos = new float[nRot / 2], sin = new float[nRot / 2];
            float theta = pos.i32()[s];
            for (int i = 0; i < nRot / 2; i++) {
                float th = freqScale * (factors == null ? theta : theta / factors[i]);
                cos[i] = (float) Math.cos(th);
                sin[i] = (float) Math.sin(th);
                theta *= thetaScale;
            }
            for (int head = 0; head < h; head++) {
                int o = (s * h + head) * dh;
                for (int i = 0; i < nRot / 2; i++) {
                    int a = neox ? o + i : o + 2 * i;
                    int b = neox ? o + i + nRot / 2 : o + 2 * i + 1;
                    float x0 = x[a], x1 = x[b];
                    r[a] = x0 * cos[i] - x1 * sin[i];
                    r[b] = x0 * sin[i] + x1 * cos[i];
                }
            }
        }
        return Value.ofF32(xv.shape(), r);
    }

    private Value kvWrite(Node writer, Node cacheNode, Value cache, Value x, Value pos) {
        // update in place (the usual case) only when the old cache is a state that nothing else reads
        // and this write is its write-back; otherwise the update would leak into the state (or into
        // an input or a view) for the next step: copy
        boolean inPlace = cacheNode.op() == OpKind.STATE && uses.getOrDefault(cacheNode, 0) <= 1 && graph.outputs().get(cacheNode.name()) == writer;
        float[] c = inPlace && cache.f32() != null ? cache.f32() : toF32(cache).clone();
        int rowLen = (int) (cache.shape()[1] * cache.shape()[2]), capacity = (int) cache.shape()[0];
        boolean half = cacheNode.dtype() == DType.F16;
        float[] xs = toF32(x);
        for (int s = 0; s < pos.i32().length; s++) {
            int p = pos.i32()[s];
            if (p < 0 || p >= capacity) throw new IllegalArgumentException("position " + p + " is outside the KV cache of " + capacity);
            for (int i = 0; i < rowLen; i++) {
                float v = xs[s * rowLen + i];
                c[p * rowLen + i] = half ? Float.float16ToFloat(Float.floatToFloat16(v)) : v;
            }
        }
        return Value.ofF32(cache.shape(), c);
    }

    private static Value kvRead(Value cache, long[] shape) {
        int n = (int) TensorData.elements(shape);
        if (shape[0] > cache.shape()[0]) throw new IllegalArgumentException("reading " + shape[0] + " rows from a KV cache of " + cache.shape()[0]);
        float[] r = new float[n];
        System.arraycopy(toF32(cache), 0, r, 0, n);
        return Value.ofF32(shape, r);
    }

    private static Value attnScores(Value qv, Value kv, float scale) {
        int t = (int) qv.shape()[0], h = (int) qv.shape()[1], dh = (int) qv.shape()[2];
        int l = (int) kv.shape()[0], hkv = (int) kv.shape()[1], group = h / hkv;
        float[] q = toF32(qv), k = toF32(kv), r = new float[h * t * l];
        for (int head = 0; head < h; head++) {
            int kh = head / group;
            for (int s = 0; s < t; s++) {
                for (int j = 0; j < l; j++) {
                    double acc = 0;
                    int qo = (s * h + head) * dh, ko = (j * hkv + kh) * dh;
                    for (int i = 0; i < dh; i++) acc += (double) q[qo + i] * k[ko + i];
                    r[(head * t + s) * l + j] = (float) acc * scale;
                }
            }
        }
        return Value.ofF32(new long[] {h, t, l}, r);
    }

    /** Key j is visible to query s when j <= pos[s] and, with a window w > 0, pos[s] - j < w. */
    private static Value causalMask(Value sv, Value pos, int window) {
        int h = (int) sv.shape()[0], t = (int) sv.shape()[1], l = (int) sv.shape()[2];
        float[] r = toF32(sv).clone();
        for (int head = 0; head < h; head++)
            for (int s = 0; s < t; s++)
                for (int j = 0; j < l; j++) {
                    long d = (long) pos.i32()[s] - j;
                    if (d < 0 || (window > 0 && d >= window)) r[(head * t + s) * l + j] = Float.NEGATIVE_INFINITY;
                }
        return Value.ofF32(sv.shape(), r);
    }

    private static Value attnValues(Value pv, Value vv) {
        int h = (int) pv.shape()[0], t = (int) pv.shape()[1], l = (int) pv.shape()[2];
        int hkv = (int) vv.shape()[1], dh = (int) vv.shape()[2], group = h / hkv;
        float[] p = toF32(pv), v = toF32(vv), r = new float[t * h * dh];
        for (int head = 0; head < h; head++) {
            int kh = head / group;
            for (int s = 0; s < t; s++) {
                for (int i = 0; i < dh; i++) {
                    double acc = 0;
                    for (int j = 0; j < l; j++) acc += (double) p[(head * t + s) * l + j] * v[(j * hkv + kh) * dh + i];
                    r[(s * h + head) * dh + i] = (float) acc;
                }
            }
        }
        return Value.ofF32(new long[] {t, h, dh}, r);
    }
}
