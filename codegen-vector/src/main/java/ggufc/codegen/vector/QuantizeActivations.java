package ggufc.codegen.vector;

import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.ir.GraphBuilder;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The vector target's stand-in for the passes' quant-dequant folding, pass name
 * {@code quantize-activations}: {@code matmul(x, dequant(w))} with w in Q4_0, Q5_0 or Q8_0 becomes
 * {@code matmul(quantize(x, q8_0), w)}, i.e. what llama.cpp computes (its vec_dot_type for those
 * weights is Q8_0: activations are rounded to Q8_0 blocks, then an integer dot product). The weight
 * is then read in its blocks and never dequantized; the interpreter runs the rewritten graph with
 * the same meaning, so it stays the oracle. Other weight types keep f32 activations. {@code matmul_id}
 * (experts) is rewritten the same way, as llama.cpp's mul_mat_id quantizes its activations too.
 */
public final class QuantizeActivations {
    private QuantizeActivations() {}

    public static final String NAME = "quantize-activations";
    static final Set<DType> Q8_0_WEIGHTS = Set.of(DType.Q4_0, DType.Q5_0, DType.Q8_0);

    private static boolean rewritable(Node n) {
        if (n.op() != OpKind.MATMUL && n.op() != OpKind.MATMUL_ID) return false;
        Node x = n.input(0), w = n.input(1);
        return x.dtype() == DType.F32 && w.op() == OpKind.DEQUANT && w.input(0).op() == OpKind.PARAM && Q8_0_WEIGHTS.contains(w.input(0).dtype())
                && !x.shape().last().isSymbolic() && x.shape().last().size() % 32 == 0;
    }

    public static Graph apply(Graph g) {
        // dequant nodes read only by rewritten matmuls disappear
        Map<Node, Integer> otherUses = new IdentityHashMap<>();
        for (Node n : g.nodes()) {
            for (int i = 0; i < n.inputs().size(); i++) {
                if (!(i == 1 && rewritable(n))) otherUses.merge(n.input(i), 1, Integer::sum);
            }
        }
        for (Node o : g.outputs().values()) otherUses.merge(o, 1, Integer::sum);
        GraphBuilder b = new GraphBuilder(g.name());
        Map<Node, Node> map = new IdentityHashMap<>();
        Map<Node, Node> quantized = new IdentityHashMap<>();
        for (Node n : g.nodes()) {
            if (n.op() == OpKind.DEQUANT && otherUses.getOrDefault(n, 0) == 0) continue;
            if (rewritable(n)) {
                Node x = map.get(n.input(0));
                Node q = quantized.computeIfAbsent(x, k -> b.quantize(k, DType.Q8_0));
                List<Node> in = new ArrayList<>(List.of(q, map.get(n.input(1).input(0))));
                for (int i = 2; i < n.inputs().size(); i++) in.add(map.get(n.input(i)));
                map.put(n, b.add(n.op(), in, n.attrs(), null));
                continue;
            }
            List<Node> in = new ArrayList<>();
            for (Node i : n.inputs()) in.add(map.get(i));
            map.put(n, b.add(n.op(), in, n.attrs(), OpKind.DECLARED_TYPE.contains(n.op()) ? n.type() : null));
        }
        g.outputs().forEach((name, n) -> b.output(name, map.get(n)));
        return b.build();
    }
}
