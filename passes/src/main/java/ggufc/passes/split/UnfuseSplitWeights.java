package ggufc.passes.split;

import ggufc.ir.Graph;
import ggufc.ir.GraphBuilder;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.Slices;
import ggufc.ir.TensorType;
import ggufc.passes.cleanup.Dce;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Before a tensor or graph split: a fused weight read through {@code split} ops (Phi-3's QKV and gate+up, Gemma 4's
 * merged expert gate+up) becomes one matmul per part over a row slice of the weight, {@code split(matmul(x, W),
 * o, s) = matmul(x, W[o:o+s, :])}, so each part is cut by its own role (llama.cpp cuts such tensors by segments).
 */
final class UnfuseSplitWeights {
    private UnfuseSplitWeights() {}

    static Graph apply(Graph g) {
        Map<Node, Integer> uses = g.useCounts();
        Map<Node, List<Node>> users = new IdentityHashMap<>();
        for (Node n : g.nodes()) for (Node in : n.inputs()) users.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
        Map<Node, Boolean> fused = new IdentityHashMap<>();
        for (Node n : g.nodes()) {
            if ((n.op() != OpKind.MATMUL && n.op() != OpKind.MATMUL_ID) || Sharder.weightParam(n.input(1)) == null) continue;
            List<Node> us = users.getOrDefault(n, List.of());
            if (us.isEmpty() || us.size() != uses.getOrDefault(n, 0) || g.outputs().containsValue(n)) continue;
            if (us.stream().allMatch(u -> u.op() == OpKind.SPLIT)) fused.put(n, true);
        }
        if (fused.isEmpty()) return g;
        GraphBuilder b = new GraphBuilder(g.name());
        Map<Node, Node> map = new IdentityHashMap<>();
        for (Node n : g.nodes()) {
            if (n.op() == OpKind.SPLIT && fused.containsKey(n.input(0))) {
                Node m = n.input(0), w = m.input(1);
                boolean deq = w.op() == OpKind.DEQUANT;
                Node p = deq ? w.input(0) : w;
                int axis = p.shape().rank() - 2;
                long off = n.attrs().integer("offset"), size = n.attrs().integer("size");
                List<Long> dims = new ArrayList<>();
                for (int i = 0; i < p.shape().rank(); i++) dims.add(i == axis ? size : p.shape().dim(i).size());
                Node part = b.add(OpKind.PARAM, List.of(), p.attrs().with("name", Slices.name(p.name(), p.shape().rank(), axis, off, size)),
                        TensorType.of(p.dtype(), dims.toArray()));
                if (deq) part = b.add(OpKind.DEQUANT, List.of(part), w.attrs(), null);
                List<Node> ins = new ArrayList<>();
                for (Node in : m.inputs()) ins.add(map.get(in));
                ins.set(1, part);
                map.put(n, b.add(m.op(), ins, m.attrs(), null));
                continue;
            }
            if (fused.containsKey(n)) continue;
            List<Node> ins = new ArrayList<>();
            for (Node in : n.inputs()) ins.add(map.get(in));
            map.put(n, b.add(n.op(), ins, n.attrs(), OpKind.DECLARED_TYPE.contains(n.op()) ? n.type() : null));
        }
        for (var e : g.outputs().entrySet()) b.output(e.getKey(), map.get(e.getValue()));
        return Dce.removeDead(b.build());
    }
}
