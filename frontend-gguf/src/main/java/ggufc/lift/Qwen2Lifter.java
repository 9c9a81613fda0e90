package ggufc.lift;

import ggufc.gguf.GgufFile;
import ggufc.ir.Graph;

/**
 * {@code qwen2}, as llama.cpp's {@code src/models/qwen2.cpp}: llama's layer with biases on Q, K and V
 * (when the file has them; llama.cpp does not require them), NEOX RoPE, and an optional
 * {@code output.bias} on the logits.
 */
final class Qwen2Lifter {
    private Qwen2Lifter() {}

    static Graph lift(GgufFile f, LlamaHparams hp, LlamaLifter.Options opt) {
        Lifters.requireFullRotation(f, hp);
        Blocks b = Blocks.start(f, hp, opt);
        Blocks.Attn attn = Blocks.Attn.rope("neox");
        for (int l = 0; l < hp.nLayer(); l++) {
            b.residual(b.attention(l, b.rmsNorm(b.x(), "blk." + l + ".attn_norm.weight"), attn));
            b.residual(b.swiGlu(l, b.rmsNorm(b.x(), "blk." + l + ".ffn_norm.weight")));
        }
        return b.finish(true);
    }
}
