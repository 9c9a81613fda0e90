package ggufc.ir;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds a graph node by node; every op's type is inferred (or, for declared-type ops, checked) by
 * {@link TypeRules} as it is added, so a builder never produces an ill-typed node.
 */
public final class GraphBuilder {
    private final String name;
    private final List<Node> nodes = new ArrayList<>();
    private final Set<Node> members = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private final Map<String, Node> outputs = new LinkedHashMap<>();
    private final Set<String> leafNames = new HashSet<>();

    public GraphBuilder(String name) { this.name = name; }

    /** Adds {@code op(inputs)}; {@code declared} is required for declared-type ops and otherwise checked if given. */
    public Node add(OpKind op, List<Node> inputs, Attrs attrs, TensorType declared) {
        // in a placed graph a pass's new op runs where its operands are (collectives say their device themselves)
        if (!attrs.has(Placement.DEVICE) && !op.isLeaf() && !OpKind.COLLECTIVES.contains(op)) {
            for (Node in : inputs) {
                if (in.attrs().get(Placement.DEVICE) instanceof Long d) {
                    attrs = attrs.with(Placement.DEVICE, d);
                    break;
                }
            }
        }
        for (Node in : inputs) {
            if (!members.contains(in)) throw new IrException(op.irName() + ": operand " + in + " is not a node of graph @" + name);
        }
        List<TensorType> types = inputs.stream().map(Node::type).toList();
        TensorType t;
        try {
            t = TypeRules.infer(op, types, attrs, declared);
        } catch (TypeRules.TypeError | IllegalArgumentException e) {
            throw new IrException("%" + nodes.size() + " = " + op.irName() + ": " + e.getMessage());
        }
        if (declared != null && !declared.equals(t)) {
            throw new IrException("%" + nodes.size() + " = " + op.irName() + ": declared type " + declared + " but the operands give " + t);
        }
        if (op == OpKind.INPUT || op == OpKind.PARAM || op == OpKind.STATE) {
            // a placed graph declares a weight or input once per device that reads it (a state once)
            String device = op == OpKind.STATE || !(attrs.get(Placement.DEVICE) instanceof Long d) ? "" : "@" + d;
            if (!leafNames.add(op.irName() + ":" + attrs.string("name") + device)) {
                throw new IrException(op.irName() + " \"" + attrs.string("name") + "\" is declared twice");
            }
        }
        Node n = new Node(nodes.size(), op, inputs, attrs, t);
        nodes.add(n);
        members.add(n);
        return n;
    }

    public Node add(OpKind op, Attrs attrs, Node... inputs) { return add(op, List.of(inputs), attrs, null); }

    // ---- leaves ----
    public Node input(String name, TensorType t) { return add(OpKind.INPUT, List.of(), Attrs.of("name", name), t); }
    public Node param(String name, TensorType t) { return add(OpKind.PARAM, List.of(), Attrs.of("name", name), t); }
    public Node state(String name, TensorType t) { return add(OpKind.STATE, List.of(), Attrs.of("name", name), t); }

    /** The param named {@code name} declared so far, or null (weights shared by several uses, e.g. tied embeddings). */
    public Node graphParam(String paramName) {
        for (Node n : nodes) if (n.op() == OpKind.PARAM && n.name().equals(paramName)) return n;
        return null;
    }

    /** The existing DEQUANT of {@code x}, or a new one (so a tied weight is decoded once). */
    public Node dequantOf(Node x) {
        for (Node n : nodes) if (n.op() == OpKind.DEQUANT && n.input(0) == x) return n;
        return dequant(x);
    }

    public Node constant(TensorType t, List<Double> values) { return add(OpKind.CONSTANT, List.of(), Attrs.of("values", values), t); }

    // ---- compute ----
    public Node addOp(Node a, Node b) { return add(OpKind.ADD, Attrs.EMPTY, a, b); }
    public Node mul(Node a, Node b) { return add(OpKind.MUL, Attrs.EMPTY, a, b); }
    public Node scale(Node x, double f) { return add(OpKind.SCALE, Attrs.of("factor", f), x); }
    public Node silu(Node x) { return add(OpKind.SILU, Attrs.EMPTY, x); }
    public Node gelu(Node x) { return add(OpKind.GELU, Attrs.EMPTY, x); }
    /** {@code cap * tanh(x / cap)} (logit soft-capping). */
    public Node softcap(Node x, double cap) { return add(OpKind.SOFTCAP, Attrs.of("cap", cap), x); }
    public Node softmax(Node x) { return add(OpKind.SOFTMAX, Attrs.EMPTY, x); }
    public Node rmsNorm(Node x, Node w, double eps) { return add(OpKind.RMS_NORM, Attrs.of("eps", eps), x, w); }
    public Node matmul(Node x, Node w) { return add(OpKind.MATMUL, Attrs.EMPTY, x, w); }
    public Node embed(Node table, Node ids) { return add(OpKind.EMBED, Attrs.EMPTY, table, ids); }
    /** {@code parts} side by side along {@code axis}. */
    public Node concat(long axis, Node... parts) { return add(OpKind.CONCAT, Attrs.of("axis", axis), parts); }

    public Node rope(Node x, Node pos, String mode, long nRot, double freqBase, double freqScale) {
        return add(OpKind.ROPE, Attrs.of("mode", mode, "n_rot", nRot, "freq_base", freqBase, "freq_scale", freqScale), x, pos);
    }

    /** RoPE with per-pair frequency divisors {@code freqFactors[n_rot/2]} (none when null). */
    public Node rope(Node x, Node pos, String mode, long nRot, double freqBase, double freqScale, Node freqFactors) {
        if (freqFactors == null) return rope(x, pos, mode, nRot, freqBase, freqScale);
        return add(OpKind.ROPE, Attrs.of("mode", mode, "n_rot", nRot, "freq_base", freqBase, "freq_scale", freqScale), x, pos, freqFactors);
    }

    public Node kvWrite(Node cache, Node x, Node pos) { return add(OpKind.KV_WRITE, Attrs.EMPTY, cache, x, pos); }

    public Node kvRead(Node cache, Dim length) {
        Shape s = new Shape(List.of(length, cache.shape().dim(1), cache.shape().dim(2)));
        return add(OpKind.KV_READ, List.of(cache), Attrs.EMPTY, new TensorType(s, DType.F32));
    }

    public Node attnScores(Node q, Node k, double scale) { return add(OpKind.ATTN_SCORES, Attrs.of("scale", scale), q, k); }
    public Node causalMask(Node scores, Node pos) { return add(OpKind.CAUSAL_MASK, Attrs.EMPTY, scores, pos); }
    /** Causal mask with a sliding window of {@code window} keys (0: none, plain causal). */
    public Node causalMask(Node scores, Node pos, int window) {
        return add(OpKind.CAUSAL_MASK, window > 0 ? Attrs.of("window", (long) window) : Attrs.EMPTY, scores, pos);
    }
    public Node attnValues(Node probs, Node v) { return add(OpKind.ATTN_VALUES, Attrs.EMPTY, probs, v); }
    public Node attention(Node q, Node k, Node v, Node pos, double scale) { return add(OpKind.ATTENTION, Attrs.of("scale", scale), q, k, v, pos); }
    /** Fused attention with a sliding window of {@code window} keys (0: none). */
    public Node attention(Node q, Node k, Node v, Node pos, double scale, int window) {
        Attrs a = Attrs.of("scale", scale);
        return add(OpKind.ATTENTION, window > 0 ? a.with("window", (long) window) : a, q, k, v, pos);
    }
    /** Fused attention with a sliding window (0: none) and soft-capped scores ({@code softcap}: 0 none). */
    public Node attention(Node q, Node k, Node v, Node pos, double scale, int window, double softcap) {
        Attrs a = Attrs.of("scale", scale);
        if (window > 0) a = a.with("window", (long) window);
        if (softcap > 0) a = a.with("softcap", softcap);
        return add(OpKind.ATTENTION, a, q, k, v, pos);
    }
    /** Indices of the {@code k} largest values of each row, largest first (ties: lower index first). */
    public Node topk(Node x, int k) { return add(OpKind.TOPK, Attrs.of("k", (long) k), x); }
    /** {@code x[..., idx[..., j]]} along the last axis. */
    public Node takeAlong(Node x, Node idx) { return add(OpKind.TAKE_ALONG, Attrs.EMPTY, x, idx); }
    /** {@code x / max(sum(x, last axis), min)}. */
    public Node sumNormalize(Node x, double min) { return add(OpKind.SUM_NORMALIZE, Attrs.of("min", min), x); }
    /** Expert matmul: {@code out[t, k] = w[ids[t, k]] . x[t(, k)]}: [T, K, M]. */
    public Node matmulId(Node x, Node w, Node ids) { return add(OpKind.MATMUL_ID, Attrs.EMPTY, x, w, ids); }
    /** Expert matmul times a per-expert scale ({@code scale[E]}). */
    public Node matmulId(Node x, Node w, Node ids, Node scale) { return add(OpKind.MATMUL_ID, Attrs.EMPTY, x, w, ids, scale); }
    /** {@code sum_k w[t, k] * y[t, k, :]} in k order: [T, N]. */
    public Node weightedSum(Node y, Node w) { return add(OpKind.WEIGHTED_SUM, Attrs.EMPTY, y, w); }
    public Node reshape(Node x, Shape s) { return add(OpKind.RESHAPE, List.of(x), Attrs.EMPTY, new TensorType(s, x.dtype())); }
    public Node lastRow(Node x) { return add(OpKind.LAST_ROW, Attrs.EMPTY, x); }
    public Node dequant(Node x) { return add(OpKind.DEQUANT, Attrs.EMPTY, x); }
    public Node quantize(Node x, DType to) { return add(OpKind.QUANTIZE, Attrs.of("to", to.irName()), x); }

    public GraphBuilder output(String outName, Node n) {
        if (!members.contains(n)) throw new IrException("output \"" + outName + "\": " + n + " is not a node of graph @" + name);
        if (outputs.put(outName, n) != null) throw new IrException("output \"" + outName + "\" is declared twice");
        return this;
    }

    /** The graph, verified. */
    public Graph build() {
        Graph g = new Graph(name, nodes, outputs);
        Verifier.verify(g);
        return g;
    }
}
