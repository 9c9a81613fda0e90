package ggufc.passes.fusion;

import static ggufc.passes.rewrite.Pattern.any;
import static ggufc.passes.rewrite.Pattern.op;

import ggufc.ir.OpKind;
import ggufc.passes.rewrite.Rule;
import ggufc.passes.rewrite.RuleSet;
import java.util.List;

/**
 * fuse-rope-kv-write: RoPE of the new keys and their write into the cache as one
 * {@code rope_kv_write}, so roped keys go straight to the cache rows. Exact.
 */
public final class FuseRopeKvWrite extends FusionPass {
    public FuseRopeKvWrite() { super("fuse-rope-kv-write", "RoPE of new keys fused with their KV-cache write", OpKind.ROPE_KV_WRITE); }

    public static final RuleSet RULES = RuleSet.of("fuse-rope-kv-write",
            // kv_write(cache, rope(x, pos){r}, pos) -> rope_kv_write(cache, x, pos){r}
            Rule.match("rope-kv-write", "kv_write(cache, rope(x, pos){r}, pos) -> rope_kv_write(cache, x, pos){r}",
                    op(OpKind.KV_WRITE, any("cache"), op(OpKind.ROPE, any("x"), any("pos")).as("rope").oneUse(), any("pos")),
                    m -> m.rw().builder().add(OpKind.ROPE_KV_WRITE, List.of(m.in("cache"), m.in("x"), m.in("pos")), m.attrs("rope"), null)),
            Rule.match("rope-kv-write-factors", "kv_write(cache, rope(x, pos, ff){r}, pos) -> rope_kv_write(cache, x, pos, ff){r}",
                    op(OpKind.KV_WRITE, any("cache"), op(OpKind.ROPE, any("x"), any("pos"), any("ff")).as("rope").oneUse(), any("pos")),
                    m -> m.rw().builder().add(OpKind.ROPE_KV_WRITE, List.of(m.in("cache"), m.in("x"), m.in("pos"), m.in("ff")), m.attrs("rope"), null)));

    @Override RuleSet rules(ggufc.passes.Target target) { return RULES; }
}
