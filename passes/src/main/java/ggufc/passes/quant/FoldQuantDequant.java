package ggufc.passes.quant;

import static ggufc.passes.rewrite.Pattern.any;
import static ggufc.passes.rewrite.Pattern.op;

import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.passes.GraphState;
import ggufc.passes.Pass;
import ggufc.passes.PassContext;
import ggufc.passes.Stage;
import ggufc.passes.Target;
import ggufc.passes.rewrite.GraphRewriter;
import ggufc.passes.rewrite.Rewrite;
import ggufc.passes.rewrite.Rule;
import ggufc.passes.rewrite.RuleSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * fold-quant-dequant: weights stay in their stored blocks and are decoded where they are read.
 * <ul>
 *   <li>{@code matmul(x, dequant(w)) -> matmul(x, w)} (every matmul-family op, every weight operand, and
 *       {@code matmul_id}'s expert weights):
 *       the kernel decodes a block in registers instead of a step writing and re-reading an f32
 *       copy of the weight, which cuts weight traffic per token by (4 + 4 + b) / b for b bytes per
 *       stored element (8.5x for Q8_0);</li>
 *   <li>{@code embed(dequant(t), ids) -> embed(t, ids)}: decode the T gathered rows, not the whole table;</li>
 *   <li>{@code quantize(dequant(q)){to = dtype(q)} -> q} for f16 and bf16, where the round trip is
 *       exact (every half value is an f32 value and rounds back to itself). For block formats it is
 *       not (requantizing a Q8_0 block whose largest |q| is below 127 picks a new scale), so those
 *       pairs stay; {@code dequant(quantize(x))} loses precision for any x and always stays.</li>
 * </ul>
 * Only dtypes the target reads in place are folded; the others keep their dequant. Every rule is
 * exact: the interpreter decodes with the same codec either way.
 */
public final class FoldQuantDequant implements Pass {
    @Override public String name() { return "fold-quant-dequant"; }

    @Override public String summary() { return "matmuls and embeddings read stored weight blocks; exact quantize/dequant pairs removed"; }

    @Override public Set<Stage> establishes() { return Set.of(Stage.QUANT_FOLDED); }

    @Override
    public Optional<String> notApplicable(GraphState state, Target target) {
        return Pass.unlessNotReached(state, Stage.KERNELS_GROUPED, "fold-quant-dequant rewrites nodes and would break kernel groups: run it before fuse-elementwise and fuse-horizontal");
    }

    /** Operand positions of weights in matmul-family ops. */
    public static List<Integer> weightOperands(Node n) {
        return switch (n.op()) {
            case MATMUL, MATMUL_ADD, MATMUL_ID -> List.of(1);
            case GLU_MATMUL -> List.of(1, 2);
            case NORM_GLU_MATMUL -> List.of(2, 3);
            case NORM_MATMUL -> {
                List<Integer> r = new ArrayList<>();
                for (int i = 2; i < n.inputs().size(); i++) r.add(i);
                yield r;
            }
            default -> List.of();
        };
    }

    public static RuleSet rules(Target target) {
        return RuleSet.of("fold-quant-dequant",
                // matmul(x, dequant(w)) -> matmul(x, w), for every weight operand of the matmul family
                Rule.of("matmul-reads-blocks", "matmul(x, dequant(w)) -> matmul(x, w) (all matmul-family ops, each weight operand)",
                        (root, rw) -> foldWeights(root, rw, target)),
                // embed(dequant(t), ids) -> embed(t, ids)
                Rule.match("embed-reads-blocks", "embed(dequant(t), ids) -> embed(t, ids)",
                        op(OpKind.EMBED, op(OpKind.DEQUANT, any("t")), any("ids")),
                        m -> target.readsRaw(m.old("t").dtype()) ? m.b().embed(m.in("t"), m.in("ids")) : null),
                // quantize(dequant(q)){to = dtype(q)} -> q for f16/bf16
                Rule.match("half-round-trip", "quantize(dequant(q)){to = dtype(q)} -> q for f16 and bf16 (exact)",
                        op(OpKind.QUANTIZE, op(OpKind.DEQUANT, any("q"))),
                        m -> {
                            DType t = m.old("q").dtype();
                            return (t == DType.F16 || t == DType.BF16) && m.root().dtype() == t ? m.in("q") : null;
                        }));
    }

    @Override
    public Graph run(Graph g, PassContext cx) { return GraphRewriter.apply(g, rules(cx.target()), cx); }

    private static Node foldWeights(Node root, Rewrite rw, Target target) {
        List<Integer> ws = weightOperands(root);
        boolean any = false;
        for (int i : ws) {
            Node w = root.input(i);
            if (w.op() == OpKind.DEQUANT && target.readsRaw(w.input(0).dtype())) any = true;
        }
        if (!any) return null;
        List<Node> in = new ArrayList<>();
        for (int i = 0; i < root.inputs().size(); i++) {
            Node x = root.input(i);
            in.add(ws.contains(i) && x.op() == OpKind.DEQUANT && target.readsRaw(x.input(0).dtype()) ? rw.get(x.input(0)) : rw.get(x));
        }
        return rw.builder().add(root.op(), in, root.attrs(), root.type());
    }
}
