package ggufc.lift;

import ggufc.gguf.GgufException;
import ggufc.gguf.GgufFile;
import ggufc.gguf.GgufTensorInfo;
import ggufc.gguf.GgufValue;
import ggufc.ir.Graph;
import ggufc.ir.Node;
import java.lang.foreign.ValueLayout;

/**
 * {@code gemma4}, as llama.cpp's {@code src/models/gemma4.cpp}: embeddings x sqrt(n_embd); per layer
 * an RMS-normed attention with per-head RMS q/k norms, NEOX RoPE and attention scale 1, its output
 * RMS-normed ({@code post_attention_norm}) before the residual add; a GeGLU FFN between
 * {@code ffn_norm} and {@code post_ffw_norm}; on E-models a per-layer embedding; then the layer's
 * output times {@code layer_output_scale}; final norm, output and logit soft-capping.
 *
 * <p>Layers are sliding-window or global from {@code sliding_window_pattern} (a bool per layer), and
 * each kind has its own head size ({@code key_length_swa} / {@code key_length}), rotated dims
 * ({@code rope.dimension_count_swa} / {@code rope.dimension_count}), RoPE base ({@code
 * rope.freq_base_swa}, default 10000, scale 1 / {@code rope.freq_base} and the file's scaling) and
 * KV head count ({@code head_count_kv}, one number or one per layer). Global layers divide their
 * RoPE angles by {@code rope_freqs} (factor 1e30 leaves a pair unrotated: partial RoPE). K and V:
 * V is K's projection when the layer has no {@code attn_v}; K gets {@code attn_k_norm}, V an RMS
 * norm without weight. The last {@code shared_kv_layers} layers compute no K and V: they read the
 * cache of the last layer of their kind that has one (so the last layer with a cache must be global
 * and the one before it sliding-window, as llama.cpp requires).
 *
 * <p>E-models ({@code embedding_length_per_layer_input} = P > 0): per-layer inputs [T, L, P] are
 * the token's {@code per_layer_token_embd} row x sqrt(P) plus the RMS-normed ({@code
 * per_layer_proj_norm}) projection {@code per_layer_model_proj} of the scaled embeddings x
 * 1/sqrt(n_embd), all x 1/sqrt(2); after each layer's FFN the stream gets
 * {@code post_norm(proj(gelu(inp_gate(x)) * input_l))} added.
 *
 * <p>Mixture-of-experts layers (26B-A4B: those with {@code ffn_gate_inp}): the dense GeGLU FFN
 * ({@code ffn_norm} before, {@code post_ffw_norm_1} after) beside the experts ({@code pre_ffw_norm_2}
 * before, {@code post_ffw_norm_2} after), routed from rms_norm(x) x 1/sqrt(n_embd) x
 * {@code ffn_gate_inp.scale}: softmax, top {@code expert_used_count}, renormalized weights, GeGLU
 * experts from the merged {@code ffn_gate_up_exps} (or separate gate/up) and optional per-expert
 * scales; the two branches are summed, then {@code post_ffw_norm}.
 *
 * <p>{@code layer_output_scale} (a one-element tensor) is read at lift time and becomes a
 * {@code scale} op: ggml multiplies by the broadcast element, which is the same f32 product.
 */
final class Gemma4Lifter {
    private Gemma4Lifter() {}

    /** Gemma 4's experts: GeGLU, renormalized top-k weights, no weights scale (llama.cpp passes norm_w true, scale 1). */
    private static final Blocks.Moe GEGLU_EXPERTS = new Blocks.Moe("gelu", true, 0);

    /**
     * The per-layer attention layout of a Gemma 4 file (gemma4 or gemma4-assistant): which layers are
     * sliding-window, the window, each layer's query / KV heads and FFN length, each kind's head size,
     * rotated dims and (sliding-window) RoPE base.
     */
    record Layout(boolean[] swa, int window, int[] nHead, int[] nHeadKv, int[] nFf, int headGlobal, int headSwa, int rotGlobal, int rotSwa, double baseSwa) {
        static Layout read(GgufFile f, LlamaHparams hp) {
            String a = hp.arch();
            int n = hp.nLayer();
            boolean[] swa = pattern(f, a + ".attention.sliding_window_pattern", n);
            long w = LlamaHparams.wholeKey(f, a + ".attention.sliding_window");
            if (w < 1 || w > Integer.MAX_VALUE) throw new GgufException(f.path(), "'" + a + ".attention.sliding_window' is " + w + ", must be a positive whole number");
            int[] nHead = LlamaHparams.perLayer(f, a + ".attention.head_count", n);
            int[] nHeadKv = f.has(a + ".attention.head_count_kv") ? LlamaHparams.perLayer(f, a + ".attention.head_count_kv", n) : nHead;
            int[] nFf = LlamaHparams.perLayer(f, a + ".feed_forward_length", n);
            int headSwa = positiveInt(f, a + ".attention.key_length_swa");
            if (f.has(a + ".attention.value_length_swa") && positiveInt(f, a + ".attention.value_length_swa") != headSwa) {
                throw new GgufException(f.path(), "'" + a + ".attention.value_length_swa' differs from key_length_swa " + headSwa + " (Gemma 4 needs them equal)");
            }
            int rotSwa = f.has(a + ".rope.dimension_count_swa") ? positiveInt(f, a + ".rope.dimension_count_swa") : hp.nRot();
            if (rotSwa % 2 != 0 || rotSwa > headSwa) {
                throw new GgufException(f.path(), "'" + a + ".rope.dimension_count_swa' is " + rotSwa + ": must be even and at most the sliding-window head size " + headSwa);
            }
            double baseSwa = f.getDouble(a + ".rope.freq_base_swa", 10000.0);
            if (!(baseSwa > 0) || Double.isInfinite(baseSwa)) throw new GgufException(f.path(), "'" + a + ".rope.freq_base_swa' is " + baseSwa + ", must be a positive number");
            if (!f.has(a + ".attention.layer_norm_rms_epsilon")) throw new GgufException(f.path(), "missing metadata key '" + a + ".attention.layer_norm_rms_epsilon'");
            return new Layout(swa, (int) w, nHead, nHeadKv, nFf, hp.headDim(), headSwa, hp.nRot(), rotSwa, baseSwa);
        }

        int headDim(int l) { return swa[l] ? headSwa : headGlobal; }

        /**
         * Layer {@code l}'s attention from {@code base}: its heads ({@code nHeadKv} KV heads), and the window and
         * RoPE base of a sliding-window layer or the {@code rope_freqs} divisors of a global one.
         */
        Blocks.Attn attn(int l, Blocks.Attn base, int nHeadKv) {
            Blocks.Attn attn = base.withHeads(new Blocks.Heads(nHead[l], nHeadKv, headDim(l), swa[l] ? rotSwa : rotGlobal));
            return swa[l] ? attn.withWindow(window).withRope(baseSwa, 1.0) : attn.withRopeFactors("rope_freqs.weight");
        }
    }

    /** Gemma 4's attention: NEOX RoPE, per-head RMS q/k norms, scale 1, Gemma 4's K/V. */
    static final Blocks.Attn ATTN = Blocks.Attn.rope("neox").withQkNorm(Blocks.QkNorm.RMS).withPreScaledQ(1.0).withGemma4Kv();

    static Graph lift(GgufFile f, LlamaHparams hp, LlamaLifter.Options opt) {
        String a = hp.arch();
        int n = hp.nLayer();
        Layout layout = Layout.read(f, hp);
        boolean[] swa = layout.swa();
        int[] nHead = layout.nHead(), nHeadKv = layout.nHeadKv(), nFf = layout.nFf();
        long ple = LlamaHparams.wholeKey(f, a + ".embedding_length_per_layer_input");
        if (ple < 0 || ple > Integer.MAX_VALUE) throw new GgufException(f.path(), "'" + a + ".embedding_length_per_layer_input' is " + ple + ", must be >= 0");
        double softcap = f.getDouble(a + ".final_logit_softcapping", 0.0);
        if (!(softcap >= 0) || Double.isInfinite(softcap)) throw new GgufException(f.path(), "'" + a + ".final_logit_softcapping' is " + softcap + ", must be >= 0");
        long shared = f.has(a + ".attention.shared_kv_layers") ? f.getLong(a + ".attention.shared_kv_layers") : 0;
        if (shared < 0 || shared > n) throw new GgufException(f.path(), "'" + a + ".attention.shared_kv_layers' is " + shared + " for " + n + " layers");
        int kvLayers = (int) (n - shared);
        if (shared > 0 && kvLayers < 2) {
            throw new GgufException(f.path(), "'" + a + ".attention.shared_kv_layers' is " + shared + " of " + n + " layers: it leaves " + kvLayers
                    + " layer with its own KV cache, and the sharing layers need a sliding-window and a global one");
        }
        if (shared > 0 && (swa[kvLayers - 1] || !swa[kvLayers - 2])) {
            throw new GgufException(f.path(), "'" + a + ".attention.shared_kv_layers' is " + shared + ": the layers that share must find a global layer (" + (kvLayers - 1)
                    + ") and a sliding-window layer (" + (kvLayers - 2) + ") with their own KV cache just before them");
        }
        if (f.hasTensor("blk.0.attn_qkv.weight")) throw new GgufException(f.path(), "tensor 'blk.0.attn_qkv.weight': fused QKV in gemma4 is not supported yet");

        Blocks b = Blocks.start(f, hp, opt);
        b.scaleStream((float) Math.sqrt((float) hp.nEmbd()));
        Node perLayer = ple > 0 ? b.perLayerInputs((int) ple) : null;
        Blocks.Experts experts = null;
        for (int l = 0; l < n; l++) {
            String blk = "blk." + l + ".";
            if (nHead[l] % nHeadKv[l] != 0) throw new GgufException(f.path(), "layer " + l + ": head count " + nHead[l] + " is not a multiple of its KV head count " + nHeadKv[l]);
            Blocks.Attn attn = layout.attn(l, ATTN, nHeadKv[l]);
            if (l >= kvLayers) attn = attn.withKvFrom(kvLayers - (swa[l] ? 2 : 1));
            b.residual(b.rmsNorm(b.attention(l, b.rmsNorm(b.x(), blk + "attn_norm.weight"), attn), blk + "post_attention_norm.weight"));
            if (f.hasTensor(blk + "ffn_gate_inp.weight")) {
                // 26B-A4B: the dense FFN and the experts side by side, each with its own norms, summed, then post_ffw_norm
                if (experts == null) experts = Blocks.Experts.read(f, hp);
                Node attnOut = b.x();
                Node dense = b.rmsNorm(b.geGlu(l, b.rmsNorm(attnOut, blk + "ffn_norm.weight"), nFf[l]), blk + "post_ffw_norm_1.weight");
                Node routed = b.moe(l, b.rmsNorm(attnOut, blk + "pre_ffw_norm_2.weight"), b.scaledRouterInput(l, attnOut), experts, GEGLU_EXPERTS);
                b.residual(b.rmsNorm(b.add(dense, b.rmsNorm(routed, blk + "post_ffw_norm_2.weight")), blk + "post_ffw_norm.weight"));
            } else {
                b.residual(b.rmsNorm(b.geGlu(l, b.rmsNorm(b.x(), blk + "ffn_norm.weight"), nFf[l]), blk + "post_ffw_norm.weight"));
            }
            if (perLayer != null) b.residual(b.perLayerEmbedding(l, (int) ple, perLayer));
            float outScale = layerOutputScale(f, blk + "layer_output_scale.weight");
            if (!Float.isNaN(outScale)) b.scaleStream(outScale);
        }
        return b.finish(false, (float) softcap);
    }

    /** The one f32 of {@code name}, or NaN when the file has no such tensor. */
    static float layerOutputScale(GgufFile f, String name) {
        GgufTensorInfo t = f.tensor(name);
        if (t == null) return Float.NaN;
        if (t.ggmlType() != ggufc.gguf.GgmlType.F32 || t.elements() != 1) {
            throw new GgufException(f.path(), "tensor '" + name + "' must be one F32 value, got " + t.ggmlType() + " " + java.util.Arrays.toString(t.ne()));
        }
        if (f.headerOnly()) return 1f; // no data: the graph's shape is what a header-only file is for
        float v = f.tensorData(t).get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0);
        if (!Float.isFinite(v)) throw new GgufException(f.path(), "tensor '" + name + "' is " + v + ", must be a finite number");
        return v;
    }

    /** {@code sliding_window_pattern}: one bool (or integer flag) per layer, required, exactly {@code n} entries. */
    private static boolean[] pattern(GgufFile f, String key, int n) {
        GgufValue v = f.value(key);
        if (v == null) throw new GgufException(f.path(), "missing metadata key '" + key + "'");
        if (!v.isArray()) throw new GgufException(f.path(), "'" + key + "' must be an array of one bool per layer");
        boolean[] flags;
        try {
            flags = Gemma3Lifter.flagArray(f, key);
        } catch (GgufException e) {
            throw new GgufException(f.path(), "'" + key + "' must be an array of one bool per layer");
        }
        if (flags.length != n) throw new GgufException(f.path(), "'" + key + "' has " + flags.length + " entries for " + n + " layers");
        return flags;
    }

    private static int positiveInt(GgufFile f, String key) {
        long v = LlamaHparams.wholeKey(f, key);
        if (v < 1 || v > Integer.MAX_VALUE) throw new GgufException(f.path(), "'" + key + "' is " + v + ", must be a positive whole number");
        return (int) v;
    }
}
