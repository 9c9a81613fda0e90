package ggufc.gguf;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A synthetic dense {@code hy_v3} model with one MTP (nextn) layer in the same file ({@code ggufc synth --preset
 * hyv3-mtp-tiny}), which llama.cpp runs plainly and as its own drafter ({@code --spec-type draft-mtp} without
 * {@code -md}).
 *
 * <p>The trunk is qwen3-tiny's: 192 wide, 2 layers of 4 query heads of 64 over 2 KV heads, q/k RMS norms, NEOX
 * RoPE base 1e6, a SwiGLU FFN of 512, a separate output matrix. llama.cpp counts the MTP layer in
 * {@code block_count} (n_layer = block_count - nextn_predict_layers), so {@code block_count} is 3 and block 2 is
 * the MTP block: an ordinary decoder block plus {@code nextn.eh_proj} ([2 n_embd -> n_embd]), {@code nextn.enorm},
 * {@code nextn.hnorm} and {@code nextn.shared_head_norm}; it has no {@code nextn.embed_tokens} and no
 * {@code nextn.shared_head_head} (the real checkpoint neither: the trunk's embedding and head are used).
 * llama.cpp's hy_v3 loader requires {@code expert_feed_forward_length} even without experts; it gets the FFN
 * length. Every value is seeded random as {@link SyntheticLlama} makes them (the tensors' values depend on their
 * names and the seed only), so drafts are the random MTP head's guesses (few are accepted).
 *
 * <p>{@code cycle} ({@code hyv3-mtp-cycle-tiny}) builds the model so that drafts get accepted: the output rows are,
 * on top of their random values, {@link #CYCLE_WEIGHT} times the embedding of the token before ({@code output[v] +=
 * a * token_embd[v - 1]}), so the trunk's greedy choice after token t is mostly t + 1 (its residual stream carries
 * the token's embedding); the MTP block's {@code eh_proj} passes the normed embedding through unchanged (identity
 * in its embedding half; its hidden-state half stays random, as large), so its stream carries the embedding of its
 * token beside the hidden state's share, and it mostly drafts t + 1 after t through the same head: about half the
 * drafts are accepted, and which hidden state a step reads still changes some drafts.
 */
public final class SyntheticHyV3 {
    private SyntheticHyV3() {}

    public static final String ARCH = "hy_v3";
    /** Trunk layers; the MTP block is block {@code N_LAYER}. */
    static final int N_LAYER = 2, N_NEXTN = 1;
    /** How strongly the cycle model's trunk prefers token t + 1 after t (against its random output rows). */
    static final float CYCLE_WEIGHT = 1f / 32f;

    /**
     * The shapes as a qwen3 {@link SyntheticLlama.Config} of all 3 blocks (qwen3's block is hy_v3's dense block; the
     * config's arch only picks the tensor set and the random streams, the file says hy_v3).
     */
    public static SyntheticLlama.Config config(long seed) {
        return new SyntheticLlama.Config(192, 512, N_LAYER + N_NEXTN, 4, 2, 256, seed, 1e-5f, 10000f, false, false, "qwen3", 64).withRope(1e6f, 1e-6f);
    }

    /** The tensors: qwen3's for every block, and the MTP block's nextn tensors. */
    public static List<SyntheticLlama.TensorSpec> tensors(SyntheticLlama.Config c, int nVocab) {
        List<SyntheticLlama.TensorSpec> r = new ArrayList<>(SyntheticLlama.tensors(c, nVocab));
        long e = c.nEmbd();
        for (int i = N_LAYER; i < N_LAYER + N_NEXTN; i++) {
            String b = "blk." + i + ".nextn.";
            r.add(new SyntheticLlama.TensorSpec(b + "eh_proj.weight", new long[] {2 * e, e}));
            r.add(new SyntheticLlama.TensorSpec(b + "enorm.weight", new long[] {e}));
            r.add(new SyntheticLlama.TensorSpec(b + "hnorm.weight", new long[] {e}));
            r.add(new SyntheticLlama.TensorSpec(b + "shared_head_norm.weight", new long[] {e}));
        }
        return r;
    }

    /** qwen3's metadata under {@code hy_v3.}, plus {@code nextn_predict_layers} and {@code expert_feed_forward_length}. */
    public static Map<String, GgufValue> metadata(SyntheticLlama.Config c, GgufFile vocab, GgmlType mainType) {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        for (Map.Entry<String, GgufValue> e : SyntheticLlama.metadata(c, vocab, mainType).entrySet()) {
            String k = e.getKey();
            if (k.equals("general.architecture")) m.put(k, GgufValue.of(ARCH));
            else if (k.equals("general.name")) m.put(k, GgufValue.of("synthetic-" + ARCH));
            else if (k.startsWith(c.arch() + ".")) m.put(ARCH + k.substring(c.arch().length()), e.getValue());
            else m.put(k, e.getValue());
        }
        m.put(ARCH + ".nextn_predict_layers", GgufValue.u32(N_NEXTN));
        m.put(ARCH + ".expert_feed_forward_length", GgufValue.u32(c.nFf()));
        return m;
    }

    /** Writes the model to {@code out}, its matrices of type {@code types}, with {@code vocab}'s tokenizer. */
    public static void write(Path out, long seed, boolean cycle, GgufFile vocab, SyntheticLlama.TypePolicy types) {
        SyntheticLlama.Config c = config(seed);
        GgmlType main = types.typeFor("blk.0.attn_output.weight", new long[] {c.nEmbdQ(), c.nEmbd()});
        int nVocab = SyntheticLlama.vocabSize(vocab);
        SyntheticLlama.writeTensors(out, metadata(c, vocab, main), tensors(c, nVocab), types, (name, n) -> {},
                (name, ne, first, n, buf) -> rows(c, cycle, nVocab, name, ne, first, n, buf));
    }

    private static void rows(SyntheticLlama.Config c, boolean cycle, int nVocab, String name, long[] ne, long first, int n, float[] out) {
        SyntheticLlama.fillRows(c, name, ne, first, n, out);
        if (!cycle) return;
        int e = c.nEmbd();
        if (name.equals("output.weight")) {
            float[] emb = new float[e];
            for (int r = 0; r < n; r++) {
                SyntheticLlama.fillRows(c, "token_embd.weight", new long[] {e, nVocab}, (first + r + nVocab - 1) % nVocab, 1, emb);
                for (int j = 0; j < e; j++) out[r * e + j] += CYCLE_WEIGHT * emb[j];
            }
        } else if (name.endsWith(".nextn.eh_proj.weight")) {
            // row r: [embedding half (e), hidden-state half (e)]; the hidden-state half keeps its random values, so that
            // drafts depend on which hidden state a step reads (a wrong one changes some of them)
            for (int r = 0; r < n; r++) {
                for (int j = 0; j < e; j++) out[r * 2 * e + j] = first + r == j ? 1f : 0f;
            }
        }
    }
}
