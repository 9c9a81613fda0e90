package ggufc.lift;

import ggufc.gguf.GgufException;
import ggufc.gguf.GgufFile;
import ggufc.gguf.GgufValue;
import ggufc.ir.Graph;

/**
 * {@code gemma3} (text), as llama.cpp's {@code src/models/gemma3.cpp}: token embeddings scaled by
 * sqrt(n_embd); per layer an RMS-normed attention with per-head RMS q/k norms (before RoPE), NEOX
 * RoPE, Q scaled by 1/sqrt(head dim) (1/sqrt(n_embd / n_head) for the 62-layer 27B, as llama.cpp)
 * and the result RMS-normed again ({@code post_attention_norm}) before the residual add; then a GeGLU
 * FFN (GELU, tanh approximation) between {@code ffn_norm} and {@code post_ffw_norm}; final norm and
 * the tied (or separate) output.
 *
 * <p>Sliding-window attention when {@code attention.sliding_window} is present and positive: layer
 * l is local when {@code sliding_window_pattern} (an array: its entry l; a number n: {@code l % n < n - 1};
 * absent: n = 6, llama.cpp's default, so 5 local layers to 1 global). A local layer's query at
 * position p sees keys p - window < j <= p and rotates with {@code rope.freq_base_swa} (default
 * 10000) and scale 1; global layers see every earlier key and use {@code rope.freq_base} and the
 * file's linear RoPE scaling. A final logit softcapping (only some Gemma 3 files) is refused.
 */
final class Gemma3Lifter {
    private Gemma3Lifter() {}

    static Graph lift(GgufFile f, LlamaHparams hp, LlamaLifter.Options opt) {
        Lifters.requireFullRotation(f, hp);
        String a = hp.arch();
        if (f.has(a + ".final_logit_softcapping") && f.getDouble(a + ".final_logit_softcapping") != 0) {
            throw new GgufException(f.path(), "'" + a + ".final_logit_softcapping' is " + f.getDouble(a + ".final_logit_softcapping") + ": logit softcapping is not supported yet");
        }
        int window = f.has(a + ".attention.sliding_window") ? (int) Math.min(Integer.MAX_VALUE, f.getLong(a + ".attention.sliding_window")) : 0;
        if (window < 0) throw new GgufException(f.path(), "'" + a + ".attention.sliding_window' is " + window + ", must be >= 0");
        boolean[] local = localLayers(f, hp, window > 0);
        double baseSwa = f.getDouble(a + ".rope.freq_base_swa", 10000.0);
        if (!(baseSwa > 0) || Double.isInfinite(baseSwa)) throw new GgufException(f.path(), "'" + a + ".rope.freq_base_swa' is " + baseSwa + ", must be a positive number");
        // llama.cpp: 1/sqrt(n_embd / n_head) for the 27B (62 layers), else 1/sqrt(head dim); computed in float
        float qScale = hp.nLayer() == 62 ? (float) (1.0 / Math.sqrt((float) (hp.nEmbd() / hp.nHead()))) : (float) (1.0 / Math.sqrt((float) hp.headDim()));
        Blocks b = Blocks.start(f, hp, opt);
        b.scaleStream((float) Math.sqrt((float) hp.nEmbd()));
        Blocks.Attn global = Blocks.Attn.rope("neox").withQkNorm(Blocks.QkNorm.RMS).withPreScaledQ(qScale);
        Blocks.Attn swa = global.withWindow(window).withRope(baseSwa, 1.0);
        for (int l = 0; l < hp.nLayer(); l++) {
            String blk = "blk." + l + ".";
            Blocks.Attn attn = local[l] ? swa : global;
            b.residual(b.rmsNorm(b.attention(l, b.rmsNorm(b.x(), blk + "attn_norm.weight"), attn), blk + "post_attention_norm.weight"));
            b.residual(b.rmsNorm(b.geGlu(l, b.rmsNorm(b.x(), blk + "ffn_norm.weight")), blk + "post_ffw_norm.weight"));
        }
        return b.finish(false);
    }

    /** The array {@code key} as one flag per entry: bools as they are, integers non-zero (sliding_window_pattern's two spellings). */
    static boolean[] flagArray(GgufFile f, String key) {
        GgufValue v = f.value(key);
        if (v.value() instanceof boolean[] bs) return bs;
        int[] xs = f.getIntArray(key);
        boolean[] flags = new boolean[xs.length];
        for (int i = 0; i < xs.length; i++) flags[i] = xs[i] != 0;
        return flags;
    }

    /** Which layers use the sliding window (none without one), as llama.cpp's {@code load_swa_pattern(ml, 6)}. */
    static boolean[] localLayers(GgufFile f, LlamaHparams hp, boolean hasWindow) { return localLayers(f, hp, hasWindow, 6); }

    /** Which layers use the sliding window, as llama.cpp's {@code load_swa_pattern(ml, defaultPattern)}. */
    static boolean[] localLayers(GgufFile f, LlamaHparams hp, boolean hasWindow, int defaultPattern) {
        boolean[] local = new boolean[hp.nLayer()];
        if (!hasWindow) return local;
        String key = hp.arch() + ".attention.sliding_window_pattern";
        GgufValue v = f.value(key);
        if (v != null && v.isArray()) {
            boolean[] flags = flagArray(f, key);
            if (flags.length < hp.nLayer()) {
                throw new GgufException(f.path(), "'" + key + "' has " + flags.length + " entries for " + hp.nLayer() + " layers");
            }
            System.arraycopy(flags, 0, local, 0, hp.nLayer());
            return local;
        }
        long n = v != null ? f.getLong(key) : defaultPattern;
        if (n < 0) throw new GgufException(f.path(), "'" + key + "' is " + n + ", must be >= 0");
        for (int l = 0; l < hp.nLayer(); l++) local[l] = n == 0 || l % n < n - 1;
        return local;
    }
}
