package ggufc.passes.fusion;

import static ggufc.passes.rewrite.Pattern.any;
import static ggufc.passes.rewrite.Pattern.commutative;
import static ggufc.passes.rewrite.Pattern.op;

import ggufc.ir.Attrs;
import ggufc.ir.OpKind;
import ggufc.passes.rewrite.Rule;
import ggufc.passes.rewrite.RuleSet;
import java.util.List;

/**
 * fuse-matmul-add: a residual add after a matmul becomes the matmul's epilogue
 * ({@code matmul_add}): the product is added to r as it is stored, never written on its own.
 * Exact (f32 addition commutes).
 */
public final class FuseMatmulAdd extends FusionPass {
    public FuseMatmulAdd() { super("fuse-matmul-add", "residual adds as matmul epilogues (matmul_add)", OpKind.MATMUL_ADD); }

    public static final RuleSet RULES = RuleSet.of("fuse-matmul-add",
            // add(r, matmul(x, w)) -> matmul_add(x, w, r), either operand order, no broadcast
            Rule.match("residual-epilogue", "add(r, matmul(x, w)) -> matmul_add(x, w, r) (either order, same shapes)",
                    commutative(OpKind.ADD, any("r"), op(OpKind.MATMUL, any("x"), any("w")).oneUse().as("mm")),
                    m -> m.old("r").type().equals(m.old("mm").type())
                            ? m.rw().builder().add(OpKind.MATMUL_ADD, List.of(m.in("x"), m.in("w"), m.in("r")), Attrs.EMPTY, null)
                            : null));

    @Override RuleSet rules(ggufc.passes.Target target) { return RULES; }
}
