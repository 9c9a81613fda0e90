package ggufc.lift;

import ggufc.gguf.GgufException;
import ggufc.gguf.GgufFile;
import ggufc.ir.Graph;

/**
 * {@code gemma2}, as llama.cpp's {@code src/models/gemma2.cpp}: Gemma 3's layer (embeddings scaled by
 * sqrt(n_embd), pre- and post-attention and FFN RMS norms, GeGLU, NEOX RoPE, Q pre-scaled by
 * 1/sqrt(head dim), or 1/sqrt(n_embd / n_head) for the 46-layer 27B) without q/k norms, plus
 * logit soft-capping: the attention scores become c * tanh(scores / c) before the mask and softmax
 * (c = {@code attn_logit_softcapping}, default 50) and the logits likewise (c =
 * {@code final_logit_softcapping}, default 30); a non-positive cap is refused.
 *
 * <p>Sliding-window attention always: {@code attention.sliding_window} keys (default 4096) on the
 * layers {@code sliding_window_pattern} picks (an array, or a number n: layer l is local when
 * {@code l % n < n - 1}; absent: n = 2, so even layers are local). Local layers rotate with
 * {@code rope.freq_base_swa} when the file has it, else with the global base and scale (llama.cpp
 * copies them).
 */
final class Gemma2Lifter {
    private Gemma2Lifter() {}

    static Graph lift(GgufFile f, LlamaHparams hp, LlamaLifter.Options opt) {
        Lifters.requireFullRotation(f, hp);
        String a = hp.arch();
        double attnCap = cap(f, a + ".attn_logit_softcapping", 50.0);
        double finalCap = cap(f, a + ".final_logit_softcapping", 30.0);
        long w = f.has(a + ".attention.sliding_window") ? f.getLong(a + ".attention.sliding_window") : 4096;
        if (w <= 0) throw new GgufException(f.path(), "'" + a + ".attention.sliding_window' is " + w + ", must be >= 1");
        int window = (int) Math.min(Integer.MAX_VALUE, w);
        boolean[] local = Gemma3Lifter.localLayers(f, hp, true, 2);
        double baseSwa = f.getDouble(a + ".rope.freq_base_swa", Double.NaN);
        if (!Double.isNaN(baseSwa) && (!(baseSwa > 0) || Double.isInfinite(baseSwa))) {
            throw new GgufException(f.path(), "'" + a + ".rope.freq_base_swa' is " + baseSwa + ", must be a positive number");
        }
        // llama.cpp: 1/sqrt(n_embd / n_head) for the 27B (46 layers), else 1/sqrt(head dim); computed in float
        float qScale = hp.nLayer() == 46 ? (float) (1.0 / Math.sqrt((float) (hp.nEmbd() / hp.nHead()))) : (float) (1.0 / Math.sqrt((float) hp.headDim()));
        Blocks b = Blocks.start(f, hp, opt);
        b.scaleStream((float) Math.sqrt((float) hp.nEmbd()));
        Blocks.Attn global = Blocks.Attn.rope("neox").withPreScaledQ(qScale).withSoftcap(attnCap);
        Blocks.Attn swa = global.withWindow(window).withRope(baseSwa, Double.NaN);
        for (int l = 0; l < hp.nLayer(); l++) {
            String blk = "blk." + l + ".";
            Blocks.Attn attn = local[l] ? swa : global;
            b.residual(b.rmsNorm(b.attention(l, b.rmsNorm(b.x(), blk + "attn_norm.weight"), attn), blk + "post_attention_norm.weight"));
            b.residual(b.rmsNorm(b.geGlu(l, b.rmsNorm(b.x(), blk + "ffn_norm.weight")), blk + "post_ffw_norm.weight"));
        }
        return b.finish(false, finalCap);
    }

    /** A soft-capping value from {@code key} (or its default): a finite number > 0. */
    private static double cap(GgufFile f, String key, double dflt) {
        double c = f.has(key) ? f.getDouble(key) : dflt;
        if (!(c > 0) || Double.isInfinite(c)) throw new GgufException(f.path(), "'" + key + "' is " + c + ", must be a positive number");
        // llama.cpp holds it as a float
        return (float) c;
    }
}
