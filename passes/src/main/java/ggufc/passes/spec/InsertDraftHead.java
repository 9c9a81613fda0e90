package ggufc.passes.spec;

import ggufc.ir.Graph;
import ggufc.ir.GraphBuilder;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.passes.Pass;
import ggufc.passes.PassContext;
import ggufc.passes.PassException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * insert-draft-head: an early-exit draft head for speculative decoding. Adds the output
 * {@code draft_logits}: the residual stream after the first {@code layer} blocks (the input of block
 * {@code layer}'s attention norm) through the model's own final norm and output head. The draft
 * step itself is {@link #draftStep}: that output alone, with the KV writes it needs (the first
 * {@code layer} layers), everything after dead.
 *
 * <p>Llama-family graphs only: blocks whose attention norm reads {@code blk.N.attn_norm.weight} and
 * logits that are {@code matmul(rms_norm(x), W)}; anything else is refused in one line.
 */
public final class InsertDraftHead implements Pass {
    /** The output this pass adds. */
    public static final String DRAFT_LOGITS = "draft_logits";
    private static final Pattern ATTN_NORM = Pattern.compile("blk\\.(\\d+)\\.attn_norm\\.weight");

    private final int layer;

    /**
     * The head reads the residual after three quarters of the layers (rounded, 1 .. n - 1): without a trained exit,
     * only late layers agree with the model often (stories260K: 1 % of drafts after 2 of 5 layers, 56 % after 4;
     * {@code ggufc bench --spec-type early-exit} measures every layer).
     */
    public InsertDraftHead() { this(-1); }

    /** @param layer blocks run before the head, 1 .. n_layer - 1; -1 for three quarters of them */
    public InsertDraftHead(int layer) { this.layer = layer; }

    @Override public String name() { return "insert-draft-head"; }

    @Override public String summary() { return "add output draft_logits: the residual after layer k (default three quarters) through the final norm and LM head (early-exit drafting)"; }

    /** Blocks in {@code g}: the distinct N of its {@code blk.N.attn_norm.weight} params. */
    public static int layers(Graph g) {
        Set<Integer> ids = new TreeSet<>();
        for (Node p : g.params()) {
            Matcher m = ATTN_NORM.matcher(p.name());
            if (m.matches()) ids.add(Integer.parseInt(m.group(1)));
        }
        return ids.size();
    }

    /** The layer count the head reads after, in {@code g}, for {@code layer} (-1: three quarters). */
    public static int resolve(Graph g, int layer) {
        int n = layers(g);
        if (n < 2) throw new PassException("insert-draft-head: graph @" + g.name() + " has " + n + " blocks with blk.N.attn_norm.weight; an early exit needs at least 2 (llama-family graphs only)");
        int k = layer < 0 ? Math.min(n - 1, Math.max(1, Math.round(3 * n / 4f))) : layer;
        if (k < 1 || k >= n) throw new PassException("--draft-layer must be in 1.." + (n - 1) + " for this model's " + n + " layers, got " + layer);
        return k;
    }

    private static Node unDequant(Node n) { return n.op() == OpKind.DEQUANT ? n.input(0) : n; }

    @Override
    public Graph run(Graph g, PassContext cx) {
        if (g.outputs().containsKey(DRAFT_LOGITS)) return g;
        int k = resolve(g, layer);
        String normName = "blk." + k + ".attn_norm.weight";
        Node residual = null;
        for (Node n : g.nodes()) {
            if (n.op() == OpKind.RMS_NORM && unDequant(n.input(1)).op() == OpKind.PARAM && unDequant(n.input(1)).name().equals(normName)) {
                residual = n.input(0);
                break;
            }
        }
        if (residual == null) throw new PassException("insert-draft-head: no rms_norm reads " + normName + " in graph @" + g.name() + " (llama-family graphs only)");
        Node logits = g.output("logits");
        if (logits == null || logits.op() != OpKind.MATMUL || logits.input(0).op() != OpKind.RMS_NORM) {
            throw new PassException("insert-draft-head: graph @" + g.name() + "'s logits are not matmul(rms_norm(x), W) (llama-family graphs only; bias or soft-cap heads are not supported)");
        }
        Node finalNorm = logits.input(0);
        boolean lastRow = finalNorm.input(0).op() == OpKind.LAST_ROW;
        GraphBuilder b = new GraphBuilder(g.name());
        Map<Node, Node> map = new IdentityHashMap<>();
        for (Node n : g.nodes()) {
            List<Node> in = new ArrayList<>(n.inputs().size());
            for (Node x : n.inputs()) in.add(map.get(x));
            map.put(n, b.add(n.op(), in, n.attrs(), n.type()));
        }
        Node r = map.get(residual);
        if (lastRow) r = b.lastRow(r);
        Node h = b.add(OpKind.RMS_NORM, List.of(r, map.get(finalNorm.input(1))), finalNorm.attrs(), null);
        Node d = b.add(OpKind.MATMUL, List.of(h, map.get(logits.input(1))), logits.attrs(), null);
        for (Map.Entry<String, Node> e : g.outputs().entrySet()) b.output(e.getKey(), map.get(e.getValue()));
        b.output(DRAFT_LOGITS, d);
        cx.count("draft-layer", k);
        return b.build();
    }

    /**
     * {@code target} and its early-exit draft step after {@code layer} layers (-1: the default) as one module: the
     * graph {@code @<target>} unchanged and {@code @<target>_draft}, which declares the target's states and writes
     * the first layers' caches (bound by name: one buffer). Verified as one unit.
     */
    public static ggufc.ir.GraphModule module(Graph target, int layer) {
        Graph draft = draftStep(new InsertDraftHead(layer).run(target, new PassContext(ggufc.passes.Targets.INTERP)));
        ggufc.ir.GraphModule m = ggufc.ir.GraphModule.of(target.name(), target, draft);
        ggufc.ir.Verifier.verify(m);
        return m;
    }

    /**
     * The draft step of a graph with {@link #DRAFT_LOGITS}: that output as {@code logits}, and the
     * write-back of every state it writes (the first layers' KV caches), everything else removed. It
     * declares only those states (they bind by name to the target's); the later layers' caches are not
     * its business, so a split pass run on it shards exactly the caches it shares.
     */
    public static Graph draftStep(Graph withHead) {
        Node d = withHead.output(DRAFT_LOGITS);
        if (d == null) throw new PassException("graph @" + withHead.name() + " has no output " + DRAFT_LOGITS + " (run insert-draft-head first)");
        Set<Node> live = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Node> stack = new ArrayList<>(List.of(d));
        while (!stack.isEmpty()) {
            Node n = stack.removeLast();
            if (live.add(n)) stack.addAll(n.inputs());
        }
        Set<String> states = new java.util.HashSet<>();
        for (Node s : withHead.states()) states.add(s.name());
        Map<String, Node> outs = new LinkedHashMap<>();
        outs.put("logits", d);
        for (Map.Entry<String, Node> e : withHead.outputs().entrySet()) {
            if (states.contains(e.getKey()) && live.contains(e.getValue())) outs.put(e.getKey(), e.getValue());
        }
        // the nodes the draft logits reach (the write-backs kept above are among them): not every declared leaf, as dead-code
        // removal would keep, since the later layers' caches are not the draft's
        Graph g = new Graph(withHead.name() + "_draft", withHead.nodes().stream().filter(live::contains).toList(), outs);
        ggufc.ir.Verifier.verify(g);
        return g;
    }
}
