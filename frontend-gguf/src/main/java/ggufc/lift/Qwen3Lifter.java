package ggufc.lift;

import ggufc.gguf.GgufFile;
import ggufc.ir.Graph;

/**
 * {@code qwen3}, as llama.cpp's {@code src/models/qwen3.cpp}: llama's layer with a per-head RMS
 * norm of Q and K over the head dimension ({@code attn_q_norm}/{@code attn_k_norm}, before RoPE),
 * NEOX RoPE, no biases; the head dimension ({@code attention.key_length}) need not be
 * n_embd / n_head.
 */
final class Qwen3Lifter {
    private Qwen3Lifter() {}

    static Graph lift(GgufFile f, LlamaHparams hp, LlamaLifter.Options opt) {
        Lifters.requireFullRotation(f, hp);
        Blocks b = Blocks.start(f, hp, opt);
        Blocks.Attn attn = Blocks.Attn.rope("neox").withQkNorm(Blocks.QkNorm.RMS);
        for (int l = 0; l < hp.nLayer(); l++) {
            b.residual(b.attention(l, b.rmsNorm(b.x(), "blk." + l + ".attn_norm.weight"), attn));
            b.residual(b.swiGlu(l, b.rmsNorm(b.x(), "blk." + l + ".ffn_norm.weight")));
        }
        return b.finish(false);
    }
}
