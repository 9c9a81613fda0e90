package ggufc.passes.fusion;

import static ggufc.passes.rewrite.Pattern.any;
import static ggufc.passes.rewrite.Pattern.op;

import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.passes.rewrite.Rule;
import ggufc.passes.rewrite.RuleSet;

/**
 * fuse-attention: scores, scale, causal mask, softmax and the weighted sum of values become one
 * {@code attention} op, which a kernel computes flash-decoding style (one query row streams over
 * the keys with a running max and sum) without writing the [H, T, L] scores. Exact: the interpreter
 * defines attention as that composition.
 */
public final class FuseAttention extends FusionPass {
    public FuseAttention() { super("fuse-attention", "scores, scale, causal mask, softmax and weighted sum as one attention op", OpKind.ATTENTION); }

    public static final RuleSet RULES = RuleSet.of("fuse-attention",
            // attn_values(softmax(causal_mask(attn_scores(q, k){scale}, pos){window}), v) -> attention(q, k, v, pos){scale, window}
            Rule.match("attention", "attn_values(softmax(causal_mask(attn_scores(q, k){scale}, pos){window}), v) -> attention(q, k, v, pos){scale, window}",
                    op(OpKind.ATTN_VALUES,
                            op(OpKind.SOFTMAX,
                                    op(OpKind.CAUSAL_MASK,
                                            op(OpKind.ATTN_SCORES, any("q"), any("k")).as("scores").oneUse(),
                                            any("pos")).as("mask").oneUse()).oneUse(),
                            any("v")),
                    m -> {
                        Node k = m.old("k"), v = m.old("v");
                        // attention reads k and v with the same length and kv heads
                        if (!k.shape().dim(0).equals(v.shape().dim(0)) || !k.shape().dim(1).equals(v.shape().dim(1))) return null;
                        // the mask's sliding window (if any) travels with the fused op
                        return m.b().attention(m.in("q"), m.in("k"), m.in("v"), m.in("pos"), m.attrs("scores").real("scale"), ggufc.ir.TypeRules.window(m.old("mask")));
                    }),
            // the same with soft-capped scores (Gemma 2): the cap travels with the fused op
            Rule.match("softcapped-attention", "attn_values(softmax(causal_mask(softcap(attn_scores(q, k){scale}){cap}, pos){window}), v) -> attention(q, k, v, pos){scale, window, softcap: cap}",
                    op(OpKind.ATTN_VALUES,
                            op(OpKind.SOFTMAX,
                                    op(OpKind.CAUSAL_MASK,
                                            op(OpKind.SOFTCAP,
                                                    op(OpKind.ATTN_SCORES, any("q"), any("k")).as("scores").oneUse()).as("cap").oneUse(),
                                            any("pos")).as("mask").oneUse()).oneUse(),
                            any("v")),
                    m -> {
                        Node k = m.old("k"), v = m.old("v");
                        if (!k.shape().dim(0).equals(v.shape().dim(0)) || !k.shape().dim(1).equals(v.shape().dim(1))) return null;
                        return m.b().attention(m.in("q"), m.in("k"), m.in("v"), m.in("pos"), m.attrs("scores").real("scale"),
                                ggufc.ir.TypeRules.window(m.old("mask")), m.attrs("cap").real("cap"));
                    }));

    @Override RuleSet rules(ggufc.passes.Target target) { return RULES; }
}
