package ggufc.codegen.tornado.lower;

import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.ir.GraphBuilder;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Makes a graph's matmuls use llama.cpp's activation types: a matmul whose weight is Q8_0, Q4_0 or
 * Q5_0 reads its activation quantized to Q8_0 blocks, as ggml's {@code vec_dot_type} for those
 * formats, so the products are llama.cpp's integer block dot products:
 * <pre>
 *   matmul(x, dequant(w: q8_0|q4_0|q5_0)) -> matmul(quantize(x){to: q8_0}, dequant(w))   // one quantize per x
 * </pre>
 * and likewise {@code matmul_id}'s x (llama.cpp's mul_mat_id rounds its src1 the same way).
 * Within a rounding of llama.cpp's numbers instead of within its quantization error. It is the
 * graph form the fold-quant-dequant pass makes; until that pass lands, the GPU path applies it
 * itself.
 */
public final class LlamaCppActivations {
    private LlamaCppActivations() {}

    static final Set<DType> Q8_0_ACTIVATIONS = EnumSet.of(DType.Q8_0, DType.Q4_0, DType.Q5_0);

    public static Graph apply(Graph g) {
        GraphBuilder b = new GraphBuilder(g.name());
        Map<Node, Node> map = new IdentityHashMap<>();
        Map<Node, Node> quantized = new IdentityHashMap<>(), halved = new IdentityHashMap<>();
        for (Node n : g.nodes()) {
            List<Node> in = new ArrayList<>();
            for (Node x : n.inputs()) in.add(map.get(x));
            boolean mm = n.op() == OpKind.MATMUL || n.op() == OpKind.MATMUL_ID;
            if (mm && n.input(0).dtype() == DType.F32 && n.input(0).shape().last().isSymbolic() == false
                    && n.input(0).shape().last().size() % 32 == 0 && weightType(n.input(1)) != null && Q8_0_ACTIVATIONS.contains(weightType(n.input(1)))) {
                Node x = in.get(0);
                in.set(0, quantized.computeIfAbsent(x, xx -> b.quantize(xx, DType.Q8_0)));
            } else if (mm && n.input(0).dtype() == DType.F32 && weightType(n.input(1)) == DType.F16) {
                Node x = in.get(0);
                in.set(0, halved.computeIfAbsent(x, xx -> b.dequant(b.quantize(xx, DType.F16))));
            }
            Node r = OpKind.DECLARED_TYPE.contains(n.op()) ? b.add(n.op(), in, n.attrs(), n.type()) : b.add(n.op(), in, n.attrs(), null);
            map.put(n, r);
        }
        for (var e : g.outputs().entrySet()) b.output(e.getKey(), map.get(e.getValue()));
        return b.build();
    }

    private static DType weightType(Node w) {
        if (w.op() == OpKind.DEQUANT && w.input(0).op() == OpKind.PARAM) return w.input(0).dtype();
        if (w.op() == OpKind.PARAM) return w.dtype();
        return null;
    }
}
