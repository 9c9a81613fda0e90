package ggufc.lift;

import ggufc.gguf.GgufException;
import ggufc.gguf.GgufFile;
import ggufc.ir.Graph;
import ggufc.ir.Node;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code hy_v3} in its dense form, as llama.cpp's {@code src/models/hy-v3.cpp}: qwen3's block (RMS norms, per-head
 * q/k RMS norms before NEOX RoPE, SwiGLU FFN, no biases) and, appended to the trunk in the same file, MTP (nextn)
 * blocks. llama.cpp counts those in {@code block_count}: the trunk is {@code block_count - nextn_predict_layers}
 * layers ({@link #trunk}), and the main step never runs the MTP blocks. The MoE form (routed and shared experts) is
 * refused.
 *
 * <p>{@link #liftDraft} is one draft step of the first MTP block (llama.cpp's {@code graph_mtp}):
 * {@code eh_proj(concat(enorm(embed(token)), hnorm(hidden)))} (embedding half first), where {@code hidden} is the
 * trunk's final-norm output at the token before (or the previous draft step's {@link #HIDDEN_NEXT}); one hy_v3
 * block with its own KV cache (the block's index in the file names it, past the trunk's); then
 * {@code nextn.shared_head_norm} (else {@code output_norm}), which is also {@link #HIDDEN_NEXT}, and the logits
 * through {@code nextn.shared_head_head} (else the trunk's head).
 */
public final class HyV3Lifter {
    private HyV3Lifter() {}

    public static final String ARCH = "hy_v3";
    /** The f32 input [T, n_embd]: the hidden state each row pairs with its token (the same name as the gemma4 assistant's). */
    public static final String HIDDEN_IN = Gemma4AssistantLifter.HIDDEN_IN;
    /** The output [1 or T, n_embd]: the post-norm hidden state the next draft step reads. */
    public static final String HIDDEN_NEXT = Gemma4AssistantLifter.HIDDEN_NEXT;

    static final Blocks.Attn ATTN = Blocks.Attn.rope("neox").withQkNorm(Blocks.QkNorm.RMS);

    /** The MTP (nextn) block count ({@code hy_v3.nextn_predict_layers}, 0 when absent). */
    public static int nextnLayers(GgufFile f) {
        String key = ARCH + ".nextn_predict_layers";
        return f.has(key) ? (int) LlamaHparams.wholeKey(f, key) : 0;
    }

    /**
     * {@code hp} (block_count read as the layer count) as the trunk's: block_count less the MTP blocks. A file with
     * experts is refused in one line naming it.
     */
    static LlamaHparams trunk(GgufFile f, LlamaHparams hp) {
        String experts = ARCH + ".expert_count";
        boolean moe = f.has(experts) && f.getLong(experts) > 0;
        for (int l = 0; l < hp.nLayer() && !moe; l++) moe = f.hasTensor("blk." + l + ".ffn_gate_inp.weight");
        if (moe) throw new GgufException(f.path(), "is a mixture-of-experts hy_v3 (routed experts): only the dense form is supported");
        int nextn = nextnLayers(f);
        if (nextn < 0 || nextn >= hp.nLayer()) {
            throw new GgufException(f.path(), "'" + ARCH + ".nextn_predict_layers' is " + nextn + " but '" + ARCH + ".block_count' is " + hp.nLayer() + " (the MTP blocks are counted in it, and the trunk needs one)");
        }
        return hp.withLayers(hp.nLayer() - nextn);
    }

    static Graph lift(GgufFile f, LlamaHparams hp, LlamaLifter.Options opt) {
        Lifters.requireFullRotation(f, hp);
        Blocks b = Blocks.start(f, hp, opt);
        for (int l = 0; l < hp.nLayer(); l++) block(b, l);
        return b.finish(false);
    }

    /** One hy_v3 dense decoder block on the residual stream: the trunk's and the MTP's. */
    private static void block(Blocks b, int l) {
        b.residual(b.attention(l, b.rmsNorm(b.x(), "blk." + l + ".attn_norm.weight"), ATTN));
        b.residual(b.swiGlu(l, b.rmsNorm(b.x(), "blk." + l + ".ffn_norm.weight")));
    }

    /**
     * The draft step of {@code f}'s first MTP block: T tokens at consecutive positions, each with the hidden state
     * {@link #HIDDEN_IN} it pairs with; it writes its own KV cache rows for them (context length: the last position
     * + 1); logits and {@link #HIDDEN_NEXT} of the last row ({@code opt.allLogits()}: of every row).
     */
    public static Graph liftDraft(GgufFile f, LlamaLifter.Options opt) {
        LlamaHparams hp = Lifters.hparams(f);
        if (!hp.arch().equals(ARCH)) throw new GgufException(f.path(), "is a '" + hp.arch() + "' model, not hy_v3");
        if (nextnLayers(f) < 1) throw new GgufException(f.path(), "has no MTP (nextn) layers (no '" + ARCH + ".nextn_predict_layers')");
        Lifters.requireFullRotation(f, hp);
        int il = hp.nLayer();
        String nx = "blk." + il + ".nextn.";
        if (!f.hasTensor(nx + "eh_proj.weight")) {
            throw new GgufException(f.path(), "declares " + nextnLayers(f) + " MTP layer(s) but has no tensor '" + nx + "eh_proj.weight' (its MTP layers are in another file)");
        }
        long n = hp.nEmbd();
        Blocks b = Blocks.startWithoutEmbedding(f, hp, opt, "hy_v3_mtp_draft");
        String embd = f.hasTensor(nx + "embed_tokens.weight") ? nx + "embed_tokens.weight" : "token_embd.weight";
        Node e = b.rmsNorm(b.embedding(f, embd, embd, hp.vocab(), n), nx + "enorm.weight");
        Node h = b.rmsNorm(b.floatInput(HIDDEN_IN, n), nx + "hnorm.weight");
        b.startStream(b.project(b.concat(e, h), nx + "eh_proj.weight", n, 2 * n));
        block(b, il);
        Node hidden = b.rmsNorm(b.outputRows(b.x()), f.hasTensor(nx + "shared_head_norm.weight") ? nx + "shared_head_norm.weight" : "output_norm.weight");
        String head = f.hasTensor(nx + "shared_head_head.weight") ? nx + "shared_head_head.weight" : hp.tiedOutput() ? "token_embd.weight" : "output.weight";
        Map<String, Node> outputs = new LinkedHashMap<>();
        outputs.put(LlamaLifter.LOGITS, b.project(hidden, head, hp.vocab(), n));
        outputs.put(HIDDEN_NEXT, hidden);
        return b.build(outputs);
    }
}
