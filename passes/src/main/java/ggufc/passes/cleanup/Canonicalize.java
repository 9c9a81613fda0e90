package ggufc.passes.cleanup;

import static ggufc.passes.rewrite.Pattern.any;
import static ggufc.passes.rewrite.Pattern.op;
import static ggufc.passes.rewrite.Rule.match;

import ggufc.ir.Attrs;
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
import ggufc.passes.rewrite.Match;
import ggufc.passes.rewrite.RuleSet;
import java.util.List;
import java.util.Optional;

/**
 * canonicalize: algebraic identities and view chains, so that fusion patterns see one form. Every
 * rule is exact in f32 (the interpreter computes bit-identical results, up to the sign of a zero
 * for {@code x + 0}).
 */
public final class Canonicalize implements Pass {
    @Override public String name() { return "canonicalize"; }

    @Override public String summary() { return "algebraic identities (x*1, x+0, x+x, scale chains) and view chains (reshape, split, last_row)"; }

    public static final RuleSet RULES = RuleSet.of("canonicalize",
            // reshape(x) -> x when the reshape changes nothing
            match("reshape-identity", "reshape(x) -> x when the type is unchanged", op(OpKind.RESHAPE, any("x")),
                    m -> m.old("x").type().equals(m.root().type()) ? m.in("x") : null),
            // reshape(reshape(x)) -> reshape(x): a view of a view is one view
            match("reshape-reshape", "reshape(reshape(x)) -> reshape(x)", op(OpKind.RESHAPE, op(OpKind.RESHAPE, any("x"))),
                    m -> m.b().reshape(m.in("x"), m.root().shape())),
            // split(x){0, n} -> x when x's last dim is n
            match("split-whole", "split(x){offset = 0, size = n} -> x when the last dim of x is n", op(OpKind.SPLIT, any("x")),
                    m -> m.old("x").type().equals(m.root().type()) && m.root().attrs().integer("offset") == 0 ? m.in("x") : null),
            // split(split(x){a, _}){b, n} -> split(x){a + b, n}
            match("split-split", "split(split(x){offset = a}){offset = b, size = n} -> split(x){offset = a + b, size = n}",
                    op(OpKind.SPLIT, op(OpKind.SPLIT, any("x")).as("inner")),
                    m -> m.rw().add(OpKind.SPLIT, Attrs.of("offset", m.attrs("inner").integer("offset") + m.root().attrs().integer("offset"),
                            "size", m.root().attrs().integer("size")), m.in("x"))),
            // last_row(x[1, D]) -> x
            match("last-row-of-one-row", "last_row(x) -> x when x has one row", op(OpKind.LAST_ROW, any("x")),
                    m -> m.old("x").type().equals(m.root().type()) ? m.in("x") : null),
            // scale(x){1} -> x
            match("scale-one", "scale(x){factor = 1} -> x", op(OpKind.SCALE, any("x")),
                    m -> (float) m.root().attrs().real("factor") == 1.0f ? m.in("x") : null),
            // scale(scale(x){a}){b} -> scale(x){a*b}: exact when a or b is a power of two and a*b is a float
            match("scale-scale", "scale(scale(x){a}){b} -> scale(x){a*b} when a or b is a power of two (exact)",
                    op(OpKind.SCALE, op(OpKind.SCALE, any("x")).as("inner").oneUse()),
                    m -> {
                        float a = (float) m.attrs("inner").real("factor"), b = (float) m.root().attrs().real("factor");
                        double p = (double) a * b;
                        boolean exact = (isPowerOfTwo(a) || isPowerOfTwo(b)) && Float.isFinite((float) p) && (float) p == p
                                && (p == 0 || Math.abs(p) >= Float.MIN_NORMAL);
                        return exact ? m.b().scale(m.in("x"), p) : null;
                    }),
            // mul(x, ones) -> x, mul(ones, x) -> x
            match("mul-ones", "mul(x, c) -> x when c is a constant of ones (either side)", op(OpKind.MUL, any("a"), any("b")),
                    m -> identityOperand(m, 1.0)),
            // add(x, zeros) -> x, add(zeros, x) -> x
            match("add-zeros", "add(x, c) -> x when c is a constant of zeros (either side)", op(OpKind.ADD, any("a"), any("b")),
                    m -> identityOperand(m, 0.0)),
            // mul(x, c) -> scale(x){c} for a one-element constant c
            match("mul-scalar", "mul(x, c) -> scale(x){factor = c} when c is a one-element constant",
                    op(OpKind.MUL, any("x"), op(OpKind.CONSTANT).as("c")),
                    m -> {
                        List<Double> v = m.attrs("c").reals("values");
                        return v.size() == 1 && m.old("c").dtype() == DType.F32 ? m.b().scale(m.in("x"), (double) v.getFirst().floatValue()) : null;
                    }),
            // add(x, x) -> scale(x){2}: x + x == 2x exactly
            match("add-self", "add(x, x) -> scale(x){factor = 2}", op(OpKind.ADD, any("x"), any("x")),
                    m -> m.b().scale(m.in("x"), 2.0)));

    @Override
    public Optional<String> notApplicable(GraphState state, Target target) {
        return Pass.unlessNotReached(state, Stage.KERNELS_GROUPED, "canonicalize rewrites nodes and would break kernel groups: run it before fuse-elementwise and fuse-horizontal");
    }

    @Override
    public Graph run(Graph g, PassContext cx) { return GraphRewriter.apply(g, RULES, cx); }

    static boolean isPowerOfTwo(float f) {
        if (f == 0 || !Float.isFinite(f)) return false;
        float a = Math.abs(f);
        return a >= Float.MIN_NORMAL && Math.scalb(1.0f, Math.getExponent(a)) == a;
    }

    /** The other operand when one operand is a constant filled with {@code neutral} and the result keeps the other's type. */
    private static Node identityOperand(Match m, double neutral) {
        Node a = m.old("a"), b = m.old("b");
        if (isFilled(b, neutral) && a.type().equals(m.root().type())) return m.in("a");
        if (isFilled(a, neutral) && b.type().equals(m.root().type())) return m.in("b");
        return null;
    }

    private static boolean isFilled(Node n, double v) {
        if (n.op() != OpKind.CONSTANT || n.dtype() != DType.F32) return false;
        for (double x : n.attrs().reals("values")) if ((float) x != (float) v) return false;
        return true;
    }
}
