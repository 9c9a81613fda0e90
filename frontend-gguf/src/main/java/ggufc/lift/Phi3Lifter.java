package ggufc.lift;

import ggufc.gguf.GgufFile;
import ggufc.ir.Graph;

/**
 * {@code phi3}, as llama.cpp's {@code src/models/phi3.cpp} (dense, without rope factors): fused
 * {@code attn_qkv} split into Q, K, V (separate matrices are accepted too), NEOX RoPE, Q scaled by
 * 1/sqrt(head dim) before the dot products, and a SwiGLU FFN whose {@code ffn_up} holds gate and up
 * stacked. Refused with a clear error: LongRoPE files ({@code rope_factors_long/short}, Phi-3-128k)
 * and the MoE variant ({@code ffn_gate_inp}). A sliding window in the metadata is ignored, as
 * llama.cpp does for phi3.
 */
final class Phi3Lifter {
    private Phi3Lifter() {}

    static Graph lift(GgufFile f, LlamaHparams hp, LlamaLifter.Options opt) {
        Blocks b = Blocks.start(f, hp, opt);
        b.refuseTensor("rope_factors_long.weight", "phi3 LongRoPE frequency factors are not supported yet");
        b.refuseTensor("rope_factors_short.weight", "phi3 LongRoPE frequency factors are not supported yet");
        Blocks.Attn attn = Blocks.Attn.rope("neox").withPreScaledQ();
        for (int l = 0; l < hp.nLayer(); l++) {
            b.refuseTensor("blk." + l + ".ffn_gate_inp.weight", "phi3 mixture-of-experts layers are not supported");
            b.residual(b.attention(l, b.rmsNorm(b.x(), "blk." + l + ".attn_norm.weight"), attn));
            b.residual(b.fusedSwiGlu(l, b.rmsNorm(b.x(), "blk." + l + ".ffn_norm.weight")));
        }
        return b.finish(true);
    }
}
