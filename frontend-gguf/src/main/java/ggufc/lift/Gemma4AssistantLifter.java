package ggufc.lift;

import ggufc.gguf.GgufException;
import ggufc.gguf.GgufFile;
import ggufc.ir.Graph;
import ggufc.ir.Node;
import ggufc.ir.TensorType;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code gemma4-assistant}, Gemma 4's drafter (llama.cpp's {@code src/models/gemma4-assistant.cpp}), lifted as
 * one draft step of its gemma4 target: the token's row of the <em>target's</em> embedding x sqrt(target width)
 * beside the hidden state {@link #HIDDEN_IN} (the target's final-norm output at the token before, or the
 * previous draft step's {@link #HIDDEN_NEXT}), through {@code nextn.pre_projection}; then per layer a Q-only
 * attention (q norm, RoPE, scale 1) over the target's KV cache (sliding-window layers read the target's layer
 * n-2, global ones layer n-1: states bound by name, never written), {@code post_attention_norm}, a GeGLU FFN
 * between {@code ffn_norm} and {@code post_ffw_norm}, {@code layer_output_scale}; {@code output_norm}; the
 * logits through its own {@code token_embd} (no soft-capping) and {@link #HIDDEN_NEXT} through
 * {@code nextn.post_projection}.
 *
 * <p>As llama.cpp's draft-mtp loop runs it, every draft token is at the position of the last confirmed token
 * and the cache holds the positions before it only: the step is run with context length L = its position, so
 * attention reads keys below it (see {@code AssistantDrafter}).
 */
public final class Gemma4AssistantLifter {
    private Gemma4AssistantLifter() {}

    public static final String ARCH = "gemma4-assistant";
    /** The f32 input [T, target width]: the hidden state the draft starts from. */
    public static final String HIDDEN_IN = "hidden_in";
    /** The output [T, target width]: the hidden state the next draft step reads. */
    public static final String HIDDEN_NEXT = "hidden_next";
    /** The name the target's token embedding is bound as in the draft graph (the assistant has a token_embd of its own). */
    public static final String TARGET_EMBEDDING = "target.token_embd.weight";

    /** The draft step of {@code assistant} for {@code target}, whose caches ({@code targetOpt}: context and KV type) it reads. */
    public static Graph liftDraft(GgufFile assistant, GgufFile target, LlamaLifter.Options targetOpt) {
        String arch = assistant.has("general.architecture") ? assistant.getString("general.architecture") : "(none)";
        if (!arch.equals(ARCH)) {
            throw new GgufException(assistant.path(), "is a '" + arch + "' model, not a gemma4-assistant drafter (--spec-type draft-mtp -md takes a gemma4-assistant GGUF)");
        }
        LlamaHparams hpT = Lifters.hparams(target);
        if (!hpT.arch().equals("gemma4")) throw new GgufException(target.path(), "is a '" + hpT.arch() + "' model: a gemma4-assistant drafts for a gemma4 target");
        LlamaHparams hp = LlamaHparams.read(assistant);
        long out = LlamaHparams.wholeKey(assistant, ARCH + ".embedding_length_out");
        if (out != hpT.nEmbd()) {
            throw new GgufException(assistant.path(), "'" + ARCH + ".embedding_length_out' is " + out + " but the target " + target.path().getFileName() + " is " + hpT.nEmbd() + " wide (they must be equal)");
        }
        if (out == hp.nEmbd()) throw new GgufException(assistant.path(), "'" + ARCH + ".embedding_length_out' equals its own embedding_length " + out + " (llama.cpp requires the target's width there, and a different one)");
        if (hp.vocab() != hpT.vocab()) throw new GgufException(assistant.path(), "has a vocabulary of " + hp.vocab() + " tokens, the target " + hpT.vocab());
        Gemma4Lifter.Layout own = Gemma4Lifter.Layout.read(assistant, hp), tl = Gemma4Lifter.Layout.read(target, hpT);
        int nT = hpT.nLayer();
        if (nT < 2 || !tl.swa()[nT - 2] || tl.swa()[nT - 1]) {
            throw new GgufException(target.path(), "must end with a sliding-window layer and a global one for a gemma4-assistant to read their caches");
        }
        // the target's last two layers, or the layers whose caches they share
        long shared = target.has("gemma4.attention.shared_kv_layers") ? target.getLong("gemma4.attention.shared_kv_layers") : 0;
        int kvLayers = (int) (nT - shared);
        int swaCache = Math.min(nT - 2, kvLayers - 2), globalCache = Math.min(nT - 1, kvLayers - 1);

        Blocks b = Blocks.startWithoutEmbedding(assistant, hp, new LlamaLifter.Options(targetOpt.ctx(), true, targetOpt.kvType()), "gemma4_assistant_draft");
        // llama.cpp scales by sqrtf((float) n_embd): the f32 square root
        Node x = b.scale(b.embedding(target, "token_embd.weight", TARGET_EMBEDDING, hpT.vocab(), hpT.nEmbd()), (float) Math.sqrt((float) hpT.nEmbd()));
        b.startStream(b.project(b.concat(x, b.floatInput(HIDDEN_IN, out)), "nextn.pre_projection.weight", hp.nEmbd(), 2 * out));
        for (int cache : new int[] {swaCache, globalCache}) {
            b.readOnlyCache(cache, TensorType.of(targetOpt.kvType(), targetOpt.ctx(), tl.nHeadKv()[cache], tl.headDim(cache)));
        }
        for (int l = 0; l < hp.nLayer(); l++) {
            String blk = "blk." + l + ".";
            int cache = own.swa()[l] ? swaCache : globalCache;
            if (own.headDim(l) != tl.headDim(cache)) {
                throw new GgufException(assistant.path(), "layer " + l + " has heads of " + own.headDim(l) + " but reads the target's layer " + cache + " cache of heads of " + tl.headDim(cache));
            }
            int kvHeads = tl.nHeadKv()[cache];
            if (own.nHead()[l] % kvHeads != 0) throw new GgufException(assistant.path(), "layer " + l + ": head count " + own.nHead()[l] + " is not a multiple of the target's KV head count " + kvHeads);
            Blocks.Attn attn = own.attn(l, Gemma4Lifter.ATTN, kvHeads).withKvFrom(cache);
            b.residual(b.rmsNorm(b.attention(l, b.rmsNorm(b.x(), blk + "attn_norm.weight"), attn), blk + "post_attention_norm.weight"));
            b.residual(b.rmsNorm(b.geGlu(l, b.rmsNorm(b.x(), blk + "ffn_norm.weight"), own.nFf()[l]), blk + "post_ffw_norm.weight"));
            float scale = Gemma4Lifter.layerOutputScale(assistant, blk + "layer_output_scale.weight");
            if (Float.isNaN(scale)) throw new GgufException(assistant.path(), "missing tensor '" + blk + "layer_output_scale.weight'");
            b.scaleStream(scale);
        }
        Node hidden = b.rmsNorm(b.x(), "output_norm.weight");
        Map<String, Node> outputs = new LinkedHashMap<>();
        outputs.put(LlamaLifter.LOGITS, b.project(hidden, "token_embd.weight", hp.vocab(), hp.nEmbd()));
        outputs.put(HIDDEN_NEXT, b.project(hidden, "nextn.post_projection.weight", out, hp.nEmbd()));
        return b.build(outputs);
    }

    /** The weights of the draft step: the assistant's, and the target's embedding as {@link #TARGET_EMBEDDING}. */
    public static java.util.function.Function<String, ggufc.ir.TensorData> weights(GgufFile assistant, GgufFile target) {
        GgufWeights own = new GgufWeights(assistant), t = new GgufWeights(target);
        return name -> name.equals(TARGET_EMBEDDING) ? t.apply("token_embd.weight") : own.apply(name);
    }
}
