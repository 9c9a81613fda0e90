package ggufc.codegen.vector.plan;

import ggufc.ir.DType;
import ggufc.ir.Dim;
import ggufc.ir.Graph;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.TypeRules;
import ggufc.ir.Shape;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Instruction selection and buffer assignment for the vector target: a step graph (lifted, or
 * after the passes) becomes a {@link Plan}.
 *
 * <p>Selection works on the graph's own ops, fused or not: a weight behind {@code dequant} is read
 * in its file dtype by the matmul kernel (never materialized as f32), and the unfused forms that
 * the lifter emits are matched as the fused kernels they equal:
 * <ul>
 * <li>{@code add(r, matmul(x, w))} (matmul used once) → a matmul with a residual epilogue (= {@code matmul_add});
 * <li>{@code mul(silu|gelu(matmul(x, wg)), matmul(x, wu))} → one GLU kernel (= {@code glu_matmul});
 * <li>{@code attn_values(softmax(causal_mask(attn_scores(q, kv_read(k)), pos)), kv_read(v))} → one
 *     attention kernel over the cache (= {@code attention}); scores are never materialized;
 * <li>{@code reshape} and {@code kv_read} are views, {@code kv_write} updates its cache in place;
 * <li>the mixture-of-experts ops get their own steps ({@link ggufc.codegen.vector.kernels.Moe}); expert ids
 *     (i32 values) are held in f32 slots as whole numbers.
 * </ul>
 * Values live in slots reused once their last reader has run (best fit by size).
 */
public final class Lowering {
    private final Graph g;
    private final int maxTokens;
    private final Map<Node, Integer> uses;
    private final Set<Node> graphOutputs = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<Node, Integer> weightOf = new IdentityHashMap<>();
    private final Map<Node, Integer> cacheOf = new IdentityHashMap<>();
    private final Map<Node, Integer> inputOf = new IdentityHashMap<>();
    private final Map<Node, Node> valueOf = new IdentityHashMap<>();
    private final Set<Node> absorbed = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    private final List<Plan.Weight> weights = new ArrayList<>();
    private final List<Plan.Cache> caches = new ArrayList<>();
    private final List<String> inputs = new ArrayList<>();

    /** A node that emits steps: the values it reads, temporaries it needs, and how to build its steps. */
    private record Root(Node node, List<Node> reads, List<Size> temps, Builder build) {}

    @FunctionalInterface
    private interface Builder {
        List<Step> build(int out, int[] temps);
    }

    private final List<Root> roots = new ArrayList<>();

    private Lowering(Graph g, int maxTokens) {
        this.g = g;
        this.maxTokens = maxTokens;
        this.uses = g.useCounts();
        graphOutputs.addAll(g.outputs().values());
    }

    /** Lowers {@code g} for steps of up to {@code maxTokens} tokens; small weights are packed ({@link PackSmallWeights}). */
    public static Plan lower(Graph g, int maxTokens) {
        return lower(g, maxTokens, true);
    }

    /** As above; {@code packSmall} false keeps every weight in its blocks (the block kernels run whatever the size). */
    public static Plan lower(Graph g, int maxTokens, boolean packSmall) {
        if (maxTokens < 1) throw new IllegalArgumentException("max tokens per step must be >= 1");
        Plan plan = new Lowering(g, maxTokens).run();
        return packSmall ? PackSmallWeights.apply(plan) : plan;
    }

    private static UnsupportedOperationException unsupported(Node n, String why) {
        return new UnsupportedOperationException("vector target: " + n + ": " + why);
    }

    // ---- sizes ---------------------------------------------------------------------------------

    /** Elements of a value: static factors times T (at most one T, no other symbol). */
    private static Size size(Node n) { return sizeOf(n, n.shape().rank()); }

    /** Elements of the leading dims (rows). */
    private static Size rows(Node n) { return sizeOf(n, n.shape().rank() - 1); }

    private static Size sizeOf(Node n, int dims) {
        long s = 1;
        boolean perToken = false;
        for (int i = 0; i < dims; i++) {
            Dim d = n.shape().dim(i);
            if (d.isSymbolic()) {
                if (!d.symbol().equals("T") || perToken) throw unsupported(n, "dimension " + d + " (the vector target sizes buffers by T only)");
                perToken = true;
            } else {
                s *= d.size();
            }
        }
        return new Size(s, perToken);
    }

    private static int last(Node n) {
        Dim d = n.shape().last();
        if (d.isSymbolic()) throw unsupported(n, "symbolic last dimension " + d);
        return (int) d.size();
    }

    private static int dim(Node n, int i) {
        Dim d = n.shape().dim(i);
        if (d.isSymbolic()) throw unsupported(n, "symbolic dimension " + d + " at " + i);
        return (int) d.size();
    }

    // ---- operand kinds -------------------------------------------------------------------------

    private boolean isWeight(Node n) { return weightOf.containsKey(n); }

    private int weight(Node n) {
        Integer w = weightOf.get(n);
        if (w == null) throw unsupported(n, "expected a weight (param, possibly behind dequant)");
        return w;
    }

    private DType weightType(Node n) { return weights.get(weight(n)).dtype(); }

    private int cache(Node n) {
        Integer c = cacheOf.get(n);
        if (c == null) throw unsupported(n, "expected a KV cache (state, kv_write or kv_read)");
        return c;
    }

    private int input(Node n) {
        Integer i = inputOf.get(n);
        if (i == null) throw unsupported(n, "expected a graph input (i32 token ids or positions)");
        return i;
    }

    /** The node whose slot holds {@code n}'s value (through reshapes). */
    private Node value(Node n) {
        Node v = valueOf.get(n);
        if (v == null) throw unsupported(n, "expected an f32 activation");
        return v;
    }

    private boolean once(Node n) { return uses.getOrDefault(n, 0) == 1 && !graphOutputs.contains(n); }

    // ---- selection -----------------------------------------------------------------------------

    private Plan run() {
        // a quantize read only as matmul activations is done inside the matmul kernels
        Map<Node, Boolean> onlyMatmuls = new IdentityHashMap<>();
        for (Node n : g.nodes()) {
            for (int i = 0; i < n.inputs().size(); i++) {
                Node in = n.input(i);
                if (in.op() != OpKind.QUANTIZE) continue;
                boolean ok = i == 0 && (n.op() == OpKind.MATMUL || n.op() == OpKind.MATMUL_ADD || n.op() == OpKind.MATMUL_ID)
                        && java.util.Set.of(DType.Q8_0, DType.Q8_1, DType.Q8_K, DType.F16, DType.BF16).contains(in.dtype());
                onlyMatmuls.merge(in, ok, Boolean::logicalAnd);
            }
        }
        for (var e : onlyMatmuls.entrySet()) if (e.getValue() && !graphOutputs.contains(e.getKey())) absorbed.add(e.getKey());
        for (Node n : g.nodes()) findPattern(n);
        for (Node n : g.nodes()) select(n);
        return allocate();
    }

    /** What a pattern root fuses: its kind and the nodes it absorbs. */
    private enum Pattern { RESIDUAL_A, RESIDUAL_B, GLU_AB, GLU_BA, ATTENTION }

    private final Map<Node, Pattern> patterns = new IdentityHashMap<>();

    private static boolean weightNode(Node n) {
        return switch (n.op()) {
            case PARAM -> true;
            case DEQUANT, RESHAPE -> weightNode(n.input(0));
            default -> false;
        };
    }

    /** Marks fusable consumer patterns (and the producers they absorb) before selection. */
    private void findPattern(Node n) {
        switch (n.op()) {
            case ADD -> {
                Node a = n.input(0), b = n.input(1);
                if (b.op() == OpKind.MATMUL && once(b) && a.type().equals(b.type()) && weightNode(b.input(1)) && !absorbed.contains(b)) {
                    patterns.put(n, Pattern.RESIDUAL_B);
                    absorbed.add(b);
                } else if (a.op() == OpKind.MATMUL && once(a) && a.type().equals(b.type()) && weightNode(a.input(1)) && !absorbed.contains(a)) {
                    patterns.put(n, Pattern.RESIDUAL_A);
                    absorbed.add(a);
                }
            }
            case MUL -> {
                if (gluPattern(n.input(0), n.input(1))) patterns.put(n, Pattern.GLU_AB);
                else if (gluPattern(n.input(1), n.input(0))) patterns.put(n, Pattern.GLU_BA);
            }
            case ATTN_VALUES -> {
                Node probs = n.input(0);
                Node mask = probs.op() == OpKind.SOFTMAX ? probs.input(0) : null;
                Node scores = mask != null && mask.op() == OpKind.CAUSAL_MASK ? mask.input(0) : null;
                // soft-capped scores (Gemma 2): causal_mask(softcap(attn_scores)) is absorbed too
                Node cap = scores != null && scores.op() == OpKind.SOFTCAP && once(scores) ? scores : null;
                if (cap != null) scores = cap.input(0);
                if (scores != null && scores.op() == OpKind.ATTN_SCORES && once(probs) && once(mask) && once(scores)) {
                    patterns.put(n, Pattern.ATTENTION);
                    absorbed.add(probs);
                    absorbed.add(mask);
                    if (cap != null) absorbed.add(cap);
                    absorbed.add(scores);
                }
            }
            default -> { }
        }
    }

    private boolean gluPattern(Node act, Node up) {
        if (!(act.op() == OpKind.SILU || act.op() == OpKind.GELU) || !once(act)) return false;
        Node gate = act.input(0);
        if (gate.op() != OpKind.MATMUL || !once(gate) || up.op() != OpKind.MATMUL || !once(up) || gate == up) return false;
        if (gate.input(0) != up.input(0) || !weightNode(gate.input(1)) || !weightNode(up.input(1)) || !gate.type().equals(up.type())) return false;
        if (absorbed.contains(act) || absorbed.contains(gate) || absorbed.contains(up)) return false;
        absorbed.add(act);
        absorbed.add(gate);
        absorbed.add(up);
        return true;
    }

    private void select(Node n) {
        if (absorbed.contains(n)) return;
        List<Node> in = n.inputs();
        switch (n.op()) {
            case INPUT -> {
                boolean floats = n.dtype() == DType.F32 && n.shape().rank() == 2 && !n.shape().dim(1).isSymbolic();
                if (!floats && (n.dtype() != DType.I32 || n.shape().rank() != 1)) throw unsupported(n, "inputs must be i32 [T] or f32 [T, n]");
                // a placed graph declares its inputs on every device: one input each, by name
                if (!inputs.contains(n.name())) inputs.add(n.name());
                inputOf.put(n, inputs.indexOf(n.name()));
                // an f32 input reaches the steps as its values' bits in an int[] (CompiledModel.step takes int[] inputs): unpacked into a slot
                if (floats) root(n, List.of(), List.of(), (out, t) -> List.of(new Step.FloatInput(inputOf.get(n), size(n), out)));
            }
            case PARAM -> {
                long[] shape = n.shape().resolve(Map.of());
                weightOf.put(n, weights.size());
                weights.add(new Plan.Weight(n.name(), n.dtype(), shape));
            }
            case STATE -> {
                if (n.shape().rank() != 3 || (n.dtype() != DType.F32 && n.dtype() != DType.F16)) throw unsupported(n, "states must be f32/f16 KV caches [C, Hkv, Dh]");
                cacheOf.put(n, caches.size());
                caches.add(new Plan.Cache(n.name(), n.dtype(), dim(n, 0), dim(n, 1) * dim(n, 2)));
            }
            case CONSTANT -> {
                List<Double> vals = n.attrs().reals("values");
                if (n.dtype() != DType.F32) throw unsupported(n, "only f32 constants");
                float[] c = new float[vals.size()];
                for (int i = 0; i < c.length; i++) c[i] = vals.get(i).floatValue();
                valueOf.put(n, n);
                roots.add(new Root(n, List.of(), List.of(), (out, t) -> List.of()));
                constants.put(n, c);
            }
            case ALL_REDUCE -> {
                List<Node> parts = List.copyOf(in);
                root(n, parts, List.of(), (out, t) -> {
                    int[] ps = new int[parts.size()];
                    for (int i = 0; i < ps.length; i++) ps[i] = slot(parts.get(i));
                    return List.of(new Step.AllReduce(ps, n.attrs().string("reduce"), size(n), last(n), out));
                });
            }
            case ALL_GATHER, CONCAT -> {
                int axis = (int) n.attrs().integer("axis");
                List<Node> parts = List.copyOf(in);
                Size outer = sizeOf(n, axis);
                root(n, parts, List.of(), (out, t) -> {
                    int[] ps = new int[parts.size()], widths = new int[parts.size()];
                    for (int i = 0; i < ps.length; i++) {
                        ps[i] = slot(parts.get(i));
                        long w = 1;
                        for (int d = axis; d < parts.get(i).shape().rank(); d++) w *= dim(parts.get(i), d);
                        widths[i] = (int) w;
                    }
                    return List.of(new Step.AllGather(ps, widths, outer, out));
                });
            }
            case TRANSFER -> {
                Node x = in.get(0);
                root(n, List.of(x), List.of(), (out, t) -> List.of(new Step.Copy(slot(x), size(n), out)));
            }
            case DEQUANT -> {
                if (!isWeight(in.get(0))) throw unsupported(n, "dequant of an activation");
                weightOf.put(n, weight(in.get(0)));
            }
            case RESHAPE -> {
                Node x = in.get(0);
                if (isWeight(x)) weightOf.put(n, weight(x));
                else if (cacheOf.containsKey(x)) cacheOf.put(n, cache(x));
                else valueOf.put(n, value(x));
            }
            case KV_READ -> cacheOf.put(n, cache(in.get(0)));
            case KV_WRITE -> {
                int c = cache(in.get(0));
                cacheOf.put(n, c);
                Node x = in.get(1), pos = in.get(2);
                root(n, List.of(x), List.of(), (out, t) -> List.of(new Step.KvWrite(c, caches.get(c).dtype() == DType.F16, caches.get(c).rowLen(), slot(x), input(pos), rowsOf(x, 1))));
                valueOf.remove(n);
            }
            case ROPE_KV_WRITE -> {
                int c = cache(in.get(0));
                cacheOf.put(n, c);
                Node x = in.get(1), pos = in.get(2);
                root(n, List.of(x), List.of(size(x)), (out, t) -> List.of(rope(n, x, pos, t[0]),
                        new Step.KvWrite(c, caches.get(c).dtype() == DType.F16, caches.get(c).rowLen(), t[0], input(pos), rowsOf(x, 1))));
                valueOf.remove(n);
            }
            case EMBED -> {
                Node table = in.get(0);
                int w = weight(table);
                long[] s = weights.get(w).shape();
                root(n, List.of(), List.of(), (out, t) -> List.of(new Step.Embed(w, weightType(table), (int) s[0], (int) s[1], input(in.get(1)), out)));
            }
            case RMS_NORM -> root(n, List.of(in.get(0)), List.of(), (out, t) -> List.of(norm(n, in.get(0), in.get(1), out)));
            case MATMUL -> selectMatmul(n, in.get(0), in.get(1), null);
            case MATMUL_ADD -> selectMatmul(n, in.get(0), in.get(1), in.get(2));
            case ADD -> {
                Node a = in.get(0), b = in.get(1);
                Pattern p = patterns.get(n);
                if (p == Pattern.RESIDUAL_B) selectMatmul(n, b.input(0), b.input(1), a);
                else if (p == Pattern.RESIDUAL_A) selectMatmul(n, a.input(0), a.input(1), b);
                else binary(n, true, a, b);
            }
            case MUL -> {
                Pattern p = patterns.get(n);
                if (p == Pattern.GLU_AB) selectGlu(n, in.get(0), in.get(1));
                else if (p == Pattern.GLU_BA) selectGlu(n, in.get(1), in.get(0));
                else binary(n, false, in.get(0), in.get(1));
            }
            case SCALE -> unary(n, Step.UnaryOp.SCALE, (float) n.attrs().real("factor"));
            case SILU -> unary(n, Step.UnaryOp.SILU, 0);
            case GELU -> unary(n, Step.UnaryOp.GELU, 0);
            case SOFTCAP -> unary(n, Step.UnaryOp.SOFTCAP, (float) n.attrs().real("cap"));
            case SOFTMAX -> root(n, List.of(in.get(0)), List.of(), (out, t) -> List.of(new Step.Softmax(slot(in.get(0)), last(n), rows(n), out)));
            case ROPE -> root(n, List.of(in.get(0)), List.of(), (out, t) -> List.of(rope(n, in.get(0), in.get(1), out)));
            case ATTN_VALUES -> selectAttentionPattern(n);
            case ATTENTION -> {
                Node q = in.get(0);
                int k = cache(in.get(1)), v = cache(in.get(2));
                attention(n, q, k, v, in.get(3), (float) n.attrs().real("scale"), ggufc.ir.TypeRules.window(n), ggufc.ir.TypeRules.softcap(n));
            }
            case LAST_ROW -> root(n, List.of(in.get(0)), List.of(), (out, t) -> List.of(new Step.LastRow(slot(in.get(0)), last(n), rows(in.get(0)), out)));
            case SPLIT -> root(n, List.of(in.get(0)), List.of(), (out, t) -> List.of(new Step.Slice(slot(in.get(0)), last(in.get(0)),
                    (int) n.attrs().integer("offset"), (int) n.attrs().integer("size"), rows(n), out)));
            case QUANTIZE -> {
                DType to = n.dtype();
                root(n, List.of(in.get(0)), List.of(), (out, t) -> List.of(new Step.QuantRoundTrip(slot(in.get(0)), to, size(n), out)));
            }
            case NORM_MATMUL -> {
                Node x = in.get(0);
                root(n, List.of(x), List.of(size(x)), (out, t) -> {
                    List<Step> steps = new ArrayList<>();
                    steps.add(norm(n, x, in.get(1), t[0]));
                    int col = 0, total = last(n);
                    for (int i = 2; i < in.size(); i++) {
                        Node w = in.get(i);
                        int N = (int) weights.get(weight(w)).shape()[0];
                        steps.add(new Step.MatMulStep(t[0], actQuant(n, DType.F32, w), weight(w), weightType(w), last(x), N, rows(x), out, col, total, -1));
                        col += N;
                    }
                    return steps;
                });
            }
            case GLU_MATMUL -> glu(n, in.get(0), in.get(1), in.get(2), n.attrs().string("act").equals("gelu"), false, null);
            case NORM_GLU_MATMUL -> glu(n, in.get(0), in.get(2), in.get(3), n.attrs().string("act").equals("gelu"), true, in.get(1));
            case TOPK -> root(n, List.of(in.get(0)), List.of(), (out, t) -> List.of(new Step.TopK(slot(in.get(0)), last(in.get(0)), last(n), rows(n), out)));
            case TAKE_ALONG -> root(n, List.of(in.get(0), in.get(1)), List.of(), (out, t) -> List.of(new Step.TakeAlong(slot(in.get(0)), last(in.get(0)), slot(in.get(1)), last(n), rows(n), out)));
            case SUM_NORMALIZE -> root(n, List.of(in.get(0)), List.of(), (out, t) -> List.of(new Step.SumNormalize(slot(in.get(0)), last(n), (float) n.attrs().real("min"), rows(n), out)));
            case MATMUL_ID -> {
                Node x0 = in.get(0), w = in.get(1), ids = in.get(2), sc = in.size() > 3 ? in.get(3) : null;
                int wi = weight(w);
                long[] s = weights.get(wi).shape();
                if (s.length != 3) throw unsupported(n, "expert weights must be [E, M, N]");
                DType act = activationType(n, x0);
                Node x = act == DType.F32 ? x0 : x0.input(0);
                int scale = sc == null ? -1 : weight(sc);
                if (sc != null && weightType(sc) != DType.F32) throw unsupported(n, "the per-expert scale must be an f32 weight");
                root(n, List.of(x, ids), List.of(), (out, t) -> List.of(new Step.MatMulId(slot(x), act, x.shape().rank() == 3, wi, weights.get(wi).dtype(), (int) s[0], (int) s[1], (int) s[2],
                        slot(ids), last(ids), rowsOf(ids, 1), scale, out)));
            }
            case WEIGHTED_SUM -> root(n, List.of(in.get(0), in.get(1)), List.of(), (out, t) -> List.of(new Step.WeightedSum(slot(in.get(0)), slot(in.get(1)), dim(in.get(0), 1), last(n), rowsOf(n, 1), out)));
            case ATTN_SCORES, CAUSAL_MASK -> throw unsupported(n, "attention must be attn_values(softmax(causal_mask(attn_scores(q, kv_read), pos)), kv_read) or the fused attention op");
        }
    }

    private final Map<Node, float[]> constants = new IdentityHashMap<>();

    private void root(Node n, List<Node> reads, List<Size> temps, Builder b) {
        valueOf.put(n, n);
        roots.add(new Root(n, reads, temps, b));
    }

    private Step norm(Node n, Node x, Node w, int out) {
        return new Step.RmsNorm(slot(x), f32Weight(n, w), last(x), (float) n.attrs().real("eps"), rows(x), out);
    }

    /**
     * A weight operand for a kernel that reads f32 only: an f32 weight as it is, a weight of any
     * other dtype decoded to f32 at load, a folded constant as its values.
     */
    private int f32Weight(Node n, Node w) {
        if (w.op() == OpKind.CONSTANT && w.dtype() == DType.F32) {
            return constantWeights.computeIfAbsent(w, c -> {
                float[] v = constants.get(c);
                if (v == null) throw unsupported(n, "constant weight not lowered");
                weights.add(new Plan.Weight("%" + g.indexOf().get(c), DType.F32, c.shape().resolve(Map.of()), false, v));
                return weights.size() - 1;
            });
        }
        int wi = weight(w);
        Plan.Weight stored = weights.get(wi);
        if (stored.kernelDType() == DType.F32) return wi;
        return decodedWeights.computeIfAbsent(stored.name(), k -> {
            weights.add(new Plan.Weight(stored.name(), stored.dtype(), stored.shape(), true, null));
            return weights.size() - 1;
        });
    }

    private final Map<Node, Integer> constantWeights = new IdentityHashMap<>();
    private final Map<String, Integer> decodedWeights = new java.util.HashMap<>();

    private Step rope(Node n, Node x, Node pos, int out) {
        Node factors = ggufc.ir.TypeRules.freqFactors(n);
        return new Step.Rope(slot(x), input(pos), rowsOf(x, 1), dim(x, 1), dim(x, 2), (int) n.attrs().integer("n_rot"),
                n.attrs().string("mode").equals("neox"), (float) n.attrs().real("freq_base"), (float) n.attrs().real("freq_scale"),
                factors == null ? -1 : f32Weight(n, factors), out);
    }

    /** The first {@code dims} dims of x as a count. */
    private static Size rowsOf(Node x, int dims) { return sizeOf(x, dims); }

    private void selectMatmul(Node n, Node x0, Node w, Node residual) {
        int wi = weight(w);
        long[] s = weights.get(wi).shape();
        DType act0 = activationType(n, x0), act = actQuant(n, act0, w);
        Node x = act0 == DType.F32 ? x0 : x0.input(0);
        List<Node> reads = residual == null ? List.of(x) : List.of(x, residual);
        root(n, reads, List.of(), (out, t) -> List.of(new Step.MatMulStep(slot(x), act, wi, weights.get(wi).dtype(), (int) s[1], (int) s[0], rows(x), out, 0, (int) s[0],
                residual == null ? -1 : slot(residual))));
    }

    /**
     * With {@code act_quant = true} on a matmul-family op (set by the passes' quantize-activations),
     * its f32 activation is rounded to the type {@link TypeRules#activationTypeFor} pairs with the
     * weight operand's dtype (as the interpreter does); otherwise {@code act} as it is.
     */
    private static DType actQuant(Node n, DType act, Node w) {
        if (act != DType.F32 || !Boolean.TRUE.equals(n.attrs().get(TypeRules.ACT_QUANT))) return act;
        DType to = TypeRules.activationTypeFor(w.dtype());
        return to == null ? DType.F32 : to;
    }

    /** F32, or the dtype of an absorbed quantize feeding a matmul (the kernel quantizes its input). */
    private DType activationType(Node n, Node x) {
        if (x.dtype() == DType.F32) return DType.F32;
        if (x.op() == OpKind.QUANTIZE && absorbed.contains(x)) return x.dtype();
        if (x.op() == OpKind.QUANTIZE) return DType.F32; // a round-trip step made its f32 value
        throw unsupported(n, "quantized activation not made by quantize");
    }

    private void selectGlu(Node n, Node act, Node up) {
        Node gate = act.input(0);
        glu(n, gate.input(0), gate.input(1), up.input(1), act.op() == OpKind.GELU, false, null);
    }

    private void glu(Node n, Node x0, Node wg, Node wu, boolean gelu, boolean norm, Node nw) {
        long[] s = weights.get(weight(wg)).shape();
        int K = (int) s[1], N = (int) s[0];
        DType act0 = norm ? DType.F32 : activationType(n, x0);
        DType act = actQuant(n, act0, wg), actUp = actQuant(n, act0, wu);
        // gate and up quantized to types that round the activation differently (F32 beside Q8_0, say):
        // two matmuls, each with its own rounding, then act(gate) * up, instead of the one GLU kernel
        boolean separate = actUp != act;
        Node x = act0 == DType.F32 ? x0 : x0.input(0);
        Size outSize = new Size(rows(x).n() * N, rows(x).perToken());
        List<Size> temps = new ArrayList<>();
        if (norm) temps.add(size(x));
        if (separate) temps.add(outSize);
        root(n, List.of(x), temps, (out, t) -> {
            List<Step> steps = new ArrayList<>();
            int src = slot(x);
            if (norm) {
                steps.add(norm(n, x, nw, t[0]));
                src = t[0];
            }
            if (separate) {
                int up = t[temps.size() - 1];
                steps.add(new Step.MatMulStep(src, act, weight(wg), weightType(wg), K, N, rows(x), out, 0, N, -1));
                steps.add(new Step.MatMulStep(src, actUp, weight(wu), weightType(wu), K, N, rows(x), up, 0, N, -1));
                steps.add(new Step.Unary(gelu ? Step.UnaryOp.GELU : Step.UnaryOp.SILU, out, 1f, outSize, out));
                steps.add(new Step.Binary(false, out, up, outSize, outSize, out));
            } else {
                steps.add(new Step.Glu(src, act, weight(wg), weightType(wg), weight(wu), weightType(wu), K, N, rows(x), gelu, out));
            }
            return steps;
        });
    }

    private void selectAttentionPattern(Node n) {
        if (patterns.get(n) != Pattern.ATTENTION) {
            throw unsupported(n, "attn_values must consume softmax(causal_mask(attn_scores(q, kv_read(k)), pos)) used nowhere else");
        }
        Node probs = n.input(0), vRead = n.input(1), mask = probs.input(0), scores = mask.input(0);
        float softcap = 0;
        if (scores.op() == OpKind.SOFTCAP) {
            softcap = (float) scores.attrs().real("cap");
            scores = scores.input(0);
        }
        attention(n, scores.input(0), cache(scores.input(1)), cache(vRead), mask.input(1), (float) scores.attrs().real("scale"), ggufc.ir.TypeRules.window(mask), softcap);
    }

    private void attention(Node n, Node q, int k, int v, Node pos, float scale, int window, float softcap) {
        Plan.Cache kc = caches.get(k);
        root(n, List.of(q), List.of(), (out, t) -> List.of(new Step.Attention(slot(q), k, v, kc.dtype() == DType.F16, input(pos), rowsOf(q, 1),
                dim(q, 1), kc.rowLen() / dim(q, 2), dim(q, 2), scale, window, softcap, out)));
    }

    private void binary(Node n, boolean add, Node a, Node b) {
        if (isWeight(b) || isWeight(a)) {
            // an f32 weight operand (a bias): read from the mapped weights, broadcast over the activation's rows
            Node x = isWeight(b) ? a : b, w = isWeight(b) ? b : a;
            if (isWeight(x)) throw unsupported(n, "both operands are weights");
            if (weightType(w) != DType.F32 || !w.shape().equals(x.shape()) && !isSuffixOf(w, x)) throw unsupported(n, "a weight operand must be f32 and broadcast to the activation");
            int wi = weight(w);
            int m = (int) w.shape().staticElements();
            root(n, List.of(x), List.of(), (out, t) -> List.of(new Step.BinaryWeight(add, slot(x), wi, m, size(x), out)));
            return;
        }
        root(n, List.of(a, b), List.of(), (out, t) -> List.of(new Step.Binary(add, slot(a), slot(b), size(b), size(a), out)));
    }

    private static boolean isSuffixOf(Node w, Node x) {
        List<ggufc.ir.Dim> wd = w.shape().dims(), xd = x.shape().dims();
        return wd.size() <= xd.size() && wd.equals(xd.subList(xd.size() - wd.size(), xd.size()));
    }

    private void unary(Node n, Step.UnaryOp op, float factor) {
        Node x = n.input(0);
        root(n, List.of(x), List.of(), (out, t) -> List.of(new Step.Unary(op, slot(x), factor, size(n), out)));
    }

    // ---- buffer assignment ---------------------------------------------------------------------

    private final Map<Node, Integer> slotOf = new IdentityHashMap<>();

    private int slot(Node n) {
        Integer s = slotOf.get(value(n));
        if (s == null) throw unsupported(n, "value read before it is computed");
        return s;
    }

    private Plan allocate() {
        // last reader of every value (graph outputs live to the end)
        Map<Node, Integer> lastUse = new IdentityHashMap<>();
        for (int i = 0; i < roots.size(); i++) {
            for (Node r : roots.get(i).reads()) lastUse.put(value(r), i);
        }
        for (Node o : g.outputs().values()) if (valueOf.containsKey(o)) lastUse.put(value(o), Integer.MAX_VALUE);

        List<long[]> slotSizes = new ArrayList<>(); // {fixed, perToken}
        List<float[]> slotConstants = new ArrayList<>();
        // a placed graph's devices run at once: a slot is reused only by values of the device that first took it
        boolean placed = ggufc.ir.Placement.isPlaced(g);
        Map<Integer, List<Integer>> freeByDevice = new java.util.HashMap<>();
        int[] device = {-1};
        List<Step> steps = new ArrayList<>();
        Function<Size, Integer> take = sz -> {
            List<Integer> free = freeByDevice.computeIfAbsent(device[0], k -> new ArrayList<>());
            long need = sz.capacity(maxTokens);
            int best = -1;
            for (int s : free) {
                long have = capacity(slotSizes.get(s));
                if (have >= need && (best < 0 || have < capacity(slotSizes.get(best)))) best = s;
            }
            if (best < 0) {
                for (int s : free) if (best < 0 || capacity(slotSizes.get(s)) > capacity(slotSizes.get(best))) best = s;
            }
            if (best >= 0) {
                free.remove(Integer.valueOf(best));
                long[] cur = slotSizes.get(best);
                if (capacity(cur) < need) slotSizes.set(best, new long[] {sz.perToken() ? 0 : sz.n(), sz.perToken() ? sz.n() : 0});
                return best;
            }
            slotSizes.add(new long[] {sz.perToken() ? 0 : sz.n(), sz.perToken() ? sz.n() : 0});
            slotConstants.add(null);
            slotOwner.add(device[0]);
            return slotSizes.size() - 1;
        };
        java.util.function.IntConsumer release = slot -> {
            List<Integer> free = freeByDevice.computeIfAbsent(slotOwner.get(slot), k -> new ArrayList<>());
            if (!free.contains(slot)) free.add(slot);
        };
        for (int i = 0; i < roots.size(); i++) {
            Root r = roots.get(i);
            Node n = r.node();
            device[0] = placed ? ggufc.ir.Placement.device(n) : -1;
            int out = -1;
            if (valueOf.get(n) == n) {
                if (constants.containsKey(n)) {
                    slotSizes.add(new long[] {constants.get(n).length, 0});
                    slotConstants.add(constants.get(n));
                    slotOwner.add(device[0]);
                    out = slotSizes.size() - 1;
                } else {
                    out = take.apply(size(n));
                }
                slotOf.put(n, out);
            }
            int[] temps = new int[r.temps().size()];
            for (int j = 0; j < temps.length; j++) temps[j] = take.apply(r.temps().get(j));
            for (Step st : r.build().build(out, temps)) steps.add(placed ? new Step.OnDevice(device[0], st) : st);
            for (int tmp : temps) release.accept(tmp);
            for (Node rd : r.reads()) {
                Node v = value(rd);
                if (lastUse.get(v) == i && !constants.containsKey(v)) release.accept(slotOf.get(v));
            }
            if (out >= 0 && !lastUse.containsKey(n) && !constants.containsKey(n)) release.accept(out); // computed, never read
        }
        List<Plan.Slot> slots = new ArrayList<>();
        for (int s = 0; s < slotSizes.size(); s++) slots.add(new Plan.Slot(slotSizes.get(s)[0], slotSizes.get(s)[1], slotConstants.get(s)));
        List<Plan.Output> outs = new ArrayList<>();
        for (var e : g.outputs().entrySet()) {
            Node o = e.getValue();
            if (cacheOf.containsKey(o)) {
                Plan.Cache c = caches.get(cacheOf.get(o));
                if (!c.name().equals(e.getKey())) throw unsupported(o, "output \"" + e.getKey() + "\" is cache " + c.name() + " (caches are written back in place, to their own state only)");
                outs.add(new Plan.Output(e.getKey(), -1, Size.fixed(0), 0));
            } else {
                outs.add(new Plan.Output(e.getKey(), slot(o), size(o), last(o)));
            }
        }
        for (Node s : g.states()) {
            if (g.outputs().get(s.name()) == null) throw unsupported(s, "state \"" + s.name() + "\" is never written back");
        }
        return new Plan(g.name(), weights, List.of(), caches, inputs, slots, steps, outs, maxTokens);
    }

    private long capacity(long[] s) { return s[0] + s[1] * maxTokens; }

    private final List<Integer> slotOwner = new ArrayList<>();

    /** Whether a shape's dims are all static or T (what the vector target sizes buffers by). */
    static boolean supportedShape(Shape s) {
        return s.dims().stream().allMatch(d -> !d.isSymbolic() || d.symbol().equals("T"));
    }
}
