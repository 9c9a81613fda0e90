package ggufc.passes.fusion;

import static ggufc.passes.rewrite.Pattern.any;
import static ggufc.passes.rewrite.Pattern.op;

import ggufc.ir.Attrs;
import ggufc.ir.Dim;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.passes.GraphState;
import ggufc.passes.Pass;
import ggufc.passes.Stage;
import ggufc.passes.Target;
import ggufc.passes.rewrite.Rewrite;
import ggufc.passes.rewrite.Rule;
import ggufc.passes.rewrite.RuleSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * fuse-norm-matmul: an RMSNorm (with its weight) moves into the matmuls that read it.
 * <ul>
 *   <li>All matmuls reading one norm become one {@code norm_matmul} over their weights, each
 *       original result a {@code split} (a view) of it: the Q, K and V projections become one
 *       kernel that normalizes x once and writes [q | k | v]; the final norm with the output
 *       projection becomes a single-weight {@code norm_matmul}.</li>
 *   <li>{@code glu_matmul(rms_norm(x, nw), wg, wu) -> norm_glu_matmul(x, nw, wg, wu)}: the FFN's
 *       norm, gate, up and SwiGLU in one kernel.</li>
 * </ul>
 * A norm with any other user stays (fusing would compute it twice). Exact: the interpreter defines
 * the fused ops as these compositions.
 */
public final class FuseNormMatmul extends FusionPass {
    public FuseNormMatmul() { super("fuse-norm-matmul", "RMSNorm into its matmuls: QKV as one norm_matmul, output norm+projection, norm+GLU", OpKind.NORM_MATMUL); }

    @Override
    RuleSet rules(Target target) { return ruleSet(target); }

    public static RuleSet ruleSet(Target target) {
        List<Rule> rules = new ArrayList<>();
        if (target.supports(OpKind.NORM_GLU_MATMUL)) {
            // glu_matmul(rms_norm(x, nw){eps}, wg, wu){act} -> norm_glu_matmul(x, nw, wg, wu){eps, act}
            rules.add(Rule.match("norm-glu", "glu_matmul(rms_norm(x, nw){eps}, wg, wu){act} -> norm_glu_matmul(x, nw, wg, wu){eps, act}",
                    op(OpKind.GLU_MATMUL, op(OpKind.RMS_NORM, any("x"), any("nw")).as("norm").oneUse(), any("wg"), any("wu")).as("glu"),
                    m -> m.rw().builder().add(OpKind.NORM_GLU_MATMUL, List.of(m.in("x"), m.in("nw"), m.in("wg"), m.in("wu")),
                            Attrs.of("eps", m.attrs("norm").real("eps"), "act", m.attrs("glu").string("act")), null)));
        }
        if (target.supports(OpKind.NORM_MATMUL)) {
            // matmul(rms_norm(x, nw){eps}, w_i) for all users i -> split_i(norm_matmul(x, nw, w_1, ..., w_n){eps})
            rules.add(Rule.of("norm-matmul", "matmul(n = rms_norm(x, nw){eps}, w_i) for every user of n -> split_i(norm_matmul(x, nw, w_1, ..., w_n){eps})",
                    FuseNormMatmul::normMatmul));
        }
        return new RuleSet("fuse-norm-matmul", rules);
    }


    @Override
    public Optional<String> unsupportedBy(Target t) {
        return t.supports(OpKind.NORM_MATMUL) || t.supports(OpKind.NORM_GLU_MATMUL) ? Optional.empty()
                : Optional.of("target " + t.name() + " implements neither norm_matmul nor norm_glu_matmul");
    }

    @Override
    public Optional<String> notApplicable(GraphState state, Target t) {
        return super.notApplicable(state, t).or(() -> t.supports(OpKind.GLU_MATMUL) && !state.has(Stage.GLU_FUSED)
                ? Optional.of("run fuse-glu first: fuse-norm-matmul merges every matmul reading a norm, which would hide the gate/up pair from fuse-glu")
                : Optional.empty());
    }

    private static Node normMatmul(Node root, Rewrite rw) {
        if (root.op() != OpKind.MATMUL || root.input(0).op() != OpKind.RMS_NORM) return null;
        Node norm = root.input(0);
        if (rw.isOutput(norm)) return null;
        List<Node> siblings = rw.users(norm);
        for (Node s : siblings) {
            if (s.op() != OpKind.MATMUL || s.input(0) != norm || s.input(1) == norm) return null;
        }
        if (siblings.size() > 1) {
            for (Node s : siblings) {
                if (s.shape().last().isSymbolic()) return null;
                // merging must not make one sibling's weight wait for another sibling's result
                for (Node other : siblings) if (rw.dependsOn(s.input(1), other)) return null;
            }
        }
        Node fused = rw.memo(List.of("norm_matmul", norm), () -> {
            List<Node> in = new ArrayList<>();
            in.add(rw.get(norm.input(0)));
            in.add(rw.get(norm.input(1)));
            for (Node s : siblings) in.add(rw.get(s.input(1)));
            return rw.builder().add(OpKind.NORM_MATMUL, in, Attrs.of("eps", norm.attrs().real("eps")), null);
        });
        if (siblings.size() == 1) return fused;
        long offset = 0;
        for (Node s : siblings) {
            Dim n = s.shape().last();
            if (s == root) return rw.add(OpKind.SPLIT, Attrs.of("offset", offset, "size", n.size()), fused);
            offset += n.size();
        }
        throw new IllegalStateException("matmul is not among the users of its own norm");
    }
}
