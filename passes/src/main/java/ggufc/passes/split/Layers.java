package ggufc.passes.split;

import ggufc.ir.Graph;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.TypeRules;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The layer structure of a lifted graph, read from the graph itself: a node belongs to the highest layer whose
 * {@code blk.N.*} weights it depends on (-1 before the first), and each layer's attention gives its head counts,
 * head size and whether it has a sliding window. Nothing here is specific to an architecture.
 */
record Layers(Map<Node, Integer> layerOf, Map<Integer, Attention> attention, int count, Map<String, ggufc.ir.DType> paramTypes) {
    /** A layer's attention: {@code heads} query heads over {@code kvHeads} KV heads of {@code headDim}. */
    record Attention(long heads, long kvHeads, long headDim, boolean sliding) {
        long gqa() { return heads / kvHeads; }
    }

    private static final Pattern BLK = Pattern.compile("blk\\.(\\d+)\\..*");

    /** The layer index in a weight name {@code blk.N.*}, or -1. */
    static int layerOfName(String name) {
        Matcher m = BLK.matcher(name);
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    static Layers of(Graph g) {
        Map<Node, Integer> layer = new IdentityHashMap<>();
        Map<Integer, Attention> attn = new TreeMap<>();
        int max = -1;
        for (Node n : g.nodes()) {
            int l = n.op() == OpKind.PARAM ? layerOfName(n.name()) : -1;
            if (n.op() != OpKind.PARAM) for (Node in : n.inputs()) l = Math.max(l, layer.getOrDefault(in, -1));
            layer.put(n, l);
            max = Math.max(max, l);
        }
        for (Node n : g.nodes()) {
            Node q, k;
            boolean sliding;
            if (n.op() == OpKind.ATTN_SCORES) {
                q = n.input(0);
                k = n.input(1);
                sliding = false;
                for (Node u : g.nodes()) if (u.op() == OpKind.CAUSAL_MASK && u.input(0) == n && TypeRules.window(u) > 0) sliding = true;
            } else if (n.op() == OpKind.ATTENTION) {
                q = n.input(0);
                k = n.input(1);
                sliding = TypeRules.window(n) > 0;
            } else continue;
            if (q.shape().rank() != 3 || k.shape().rank() != 3 || q.shape().dim(1).isSymbolic() || k.shape().dim(1).isSymbolic()) continue;
            attn.putIfAbsent(layer.get(n), new Attention(q.shape().dim(1).size(), k.shape().dim(1).size(), q.shape().dim(2).size(), sliding));
        }
        Map<String, ggufc.ir.DType> types = new java.util.HashMap<>();
        for (Node p : g.params()) types.put(p.name(), p.dtype());
        return new Layers(layer, attn, max + 1, types);
    }

    int of(Node n) { return layerOf.getOrDefault(n, -1); }

    /** The block size of weight {@code name}'s dtype, or of the first of {@code names} present (1 when none is). */
    int block(String... names) {
        for (String name : names) if (paramTypes.containsKey(name)) return paramTypes.get(name).blockSize();
        return 1;
    }

    /** Layers before {@code layer} with the same kind of attention (llama.cpp rotates cuts by this count). */
    int sameKindBefore(int layer) {
        Attention a = attention.get(layer);
        int c = 0;
        for (int l = 0; l < layer; l++) {
            Attention o = attention.get(l);
            if (a == null || o == null ? a == o : a.sliding() == o.sliding()) c++;
        }
        return c;
    }
}
