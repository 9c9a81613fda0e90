package ggufc.lift;

import ggufc.gguf.GgufFile;
import ggufc.ir.Graph;

/**
 * {@code qwen3moe}, as llama.cpp's {@code src/models/qwen3moe.cpp}: qwen3's attention (per-head
 * q/k RMS norms, NEOX RoPE) and, in place of the dense FFN, a mixture of experts routed from the
 * FFN-normed stream: softmax gating, the top {@code expert_used_count} experts, renormalized
 * weights, SwiGLU experts of {@code expert_feed_forward_length}, each expert's products times the
 * optional per-expert {@code ffn_gate/up/down_exps.scale}. {@code expert_weights_scale} is ignored, as
 * llama.cpp's qwen3moe ignores it.
 */
final class Qwen3MoeLifter {
    private Qwen3MoeLifter() {}

    static Graph lift(GgufFile f, LlamaHparams hp, LlamaLifter.Options opt) {
        Lifters.requireFullRotation(f, hp);
        Blocks.Experts experts = Blocks.Experts.read(f, hp);
        Blocks b = Blocks.start(f, hp, opt);
        Blocks.Attn attn = Blocks.Attn.rope("neox").withQkNorm(Blocks.QkNorm.RMS);
        // llama.cpp's qwen3moe never reads expert_weights_scale (its hparams keep 0: no scaling), so neither do we
        Blocks.Moe moe = new Blocks.Moe("silu", true, 0);
        for (int l = 0; l < hp.nLayer(); l++) {
            b.residual(b.attention(l, b.rmsNorm(b.x(), "blk." + l + ".attn_norm.weight"), attn));
            ggufc.ir.Node h = b.rmsNorm(b.x(), "blk." + l + ".ffn_norm.weight");
            b.residual(b.moe(l, h, h, experts, moe));
        }
        return b.finish(false);
    }
}
