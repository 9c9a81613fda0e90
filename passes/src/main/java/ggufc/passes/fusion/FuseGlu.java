package ggufc.passes.fusion;

import static ggufc.passes.rewrite.Pattern.any;
import static ggufc.passes.rewrite.Pattern.commutative;
import static ggufc.passes.rewrite.Pattern.op;

import ggufc.ir.Attrs;
import ggufc.ir.DType;
import ggufc.ir.OpKind;
import ggufc.passes.Stage;
import ggufc.passes.rewrite.Match;
import ggufc.passes.rewrite.Pattern;
import ggufc.passes.rewrite.Rule;
import ggufc.passes.rewrite.RuleSet;
import java.util.List;
import java.util.Set;

/**
 * fuse-glu: the gate and up projections with SiLU·mul (SwiGLU) or GELU·mul (GeGLU) become one
 * {@code glu_matmul}: one pass over x, two dot products per output, the product written once.
 * Exact (f32 multiplication commutes).
 */
public final class FuseGlu extends FusionPass {
    public FuseGlu() { super("fuse-glu", "gate and up matmuls with SiLU·mul (SwiGLU) or GELU·mul (GeGLU) as one glu_matmul", OpKind.GLU_MATMUL); }

    private static Pattern gated(OpKind act) {
        return commutative(OpKind.MUL,
                op(act, op(OpKind.MATMUL, any("x"), any("wg")).oneUse().as("gate")).oneUse(),
                op(OpKind.MATMUL, any("x"), any("wu")).oneUse().as("up"));
    }

    private static Rule rule(String name, OpKind act) {
        String a = act.irName();
        return Rule.match(name, "mul(" + a + "(matmul(x, wg)), matmul(x, wu)) -> glu_matmul(x, wg, wu){act = " + a + "} (either operand order)",
                gated(act), m -> glu(m, a));
    }

    public static final RuleSet RULES = RuleSet.of("fuse-glu", rule("swiglu", OpKind.SILU), rule("geglu", OpKind.GELU));

    private static ggufc.ir.Node glu(Match m, String act) {
        if (m.old("x").dtype() != DType.F32 || !m.old("gate").type().equals(m.old("up").type())) return null;
        return m.rw().builder().add(OpKind.GLU_MATMUL, List.of(m.in("x"), m.in("wg"), m.in("wu")), Attrs.of("act", act), null);
    }

    @Override RuleSet rules(ggufc.passes.Target target) { return RULES; }

    @Override public Set<Stage> establishes() { return Set.of(Stage.GLU_FUSED); }
}
