package ggufc.gguf;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A synthetic gemma4 target and a matching {@code gemma4-assistant} drafter ({@code ggufc synth --preset
 * gemma4-mtp-tiny|gemma4-mtp-cycle-tiny -o TARGET --assistant-out ASSISTANT [--type T]}), which llama.cpp loads as
 * {@code -m TARGET -md ASSISTANT --spec-type draft-mtp}.
 *
 * <p>The target is gemma4 in 4 layers (0 and 2 sliding-window with a 4-key window and heads of 64 over 2 KV
 * heads, 1 and 3 global with heads of 128 over 1 KV head, V = K, 16 of 64 RoPE pairs turning), no shared KV
 * and no per-layer embeddings, final soft-capping 30: it ends [sliding-window, global], each with its own
 * cache, as llama.cpp's assistant loader requires (the assistant's sliding-window layers read the target's
 * layer n-2, its global layers layer n-1). The assistant is 128 wide (the target 256), 2 layers: 0
 * sliding-window and 1 global, with the target's head sizes and 4 query heads each.
 *
 * <p>{@code cycle} builds the pair so that drafts get accepted: the target's output rows are, on top of their
 * random values, {@link #CYCLE_WEIGHT} times the embedding of the token before ({@code output[v] += a *
 * token_embd[v - 1] / 16}), so its greedy choice after token t is mostly t + 1; the assistant's
 * pre-projection reads mostly the target's embedding through a random map P (its hidden-state half is 1/16
 * of its usual size), and its token embedding row v is P times the target's embedding of v - 1, so it drafts
 * t + 1 after t, and t + 2 after that. Without {@code cycle} every weight is random and the hidden-state
 * half of the pre-projection is as large as the embedding half, so drafts depend on the target's hidden
 * state as much as on the token (few are accepted). Deterministic by seed.
 */
public final class SyntheticGemma4Assistant {
    private SyntheticGemma4Assistant() {}

    public static final String ARCH = "gemma4-assistant";
    /** The assistant's width, its FFN length and its layers (sliding-window, global). */
    static final int N_EMBD = 128, N_FF = 256, N_LAYER = 2, N_HEAD = 4;
    /** How strongly the cycle pair's target prefers token t + 1 after t (against its random output rows). */
    static final float CYCLE_WEIGHT = 0.25f;

    /** The target: gemma4, 4 layers ending [sliding-window, global], each with its own KV cache. */
    public static SyntheticLlama.Config target(long seed) {
        return new SyntheticLlama.Config(256, 512, 4, 4, 2, 256, seed, 1e-6f, 1e6f, false, false, "gemma4", 64, 4, 2, 0f, 30f, null,
                new SyntheticLlama.Gemma4(128, 1, 16, true, 0, 0));
    }

    /** Whether assistant layer {@code l} is global (the last one; the others sliding-window). */
    static boolean globalLayer(int l) { return l == N_LAYER - 1; }

    /** The assistant's tensors, in llama.cpp's loader's terms (ggml shapes). */
    public static List<SyntheticLlama.TensorSpec> tensors(SyntheticLlama.Config target, int nVocab) {
        SyntheticLlama.Gemma4 g = target.gemma4();
        long e = N_EMBD, et = target.nEmbd();
        List<SyntheticLlama.TensorSpec> r = new ArrayList<>();
        r.add(new SyntheticLlama.TensorSpec("token_embd.weight", new long[] {e, nVocab}));
        r.add(new SyntheticLlama.TensorSpec("output_norm.weight", new long[] {e}));
        r.add(new SyntheticLlama.TensorSpec("nextn.pre_projection.weight", new long[] {2 * et, e}));
        r.add(new SyntheticLlama.TensorSpec("nextn.post_projection.weight", new long[] {e, et}));
        r.add(new SyntheticLlama.TensorSpec("rope_freqs.weight", new long[] {g.headDimGlobal() / 2}));
        for (int i = 0; i < N_LAYER; i++) {
            String b = "blk." + i + ".";
            long hd = globalLayer(i) ? g.headDimGlobal() : target.headDim();
            r.add(new SyntheticLlama.TensorSpec(b + "attn_norm.weight", new long[] {e}));
            r.add(new SyntheticLlama.TensorSpec(b + "attn_q.weight", new long[] {e, hd * N_HEAD}));
            r.add(new SyntheticLlama.TensorSpec(b + "attn_q_norm.weight", new long[] {hd}));
            r.add(new SyntheticLlama.TensorSpec(b + "attn_output.weight", new long[] {hd * N_HEAD, e}));
            r.add(new SyntheticLlama.TensorSpec(b + "post_attention_norm.weight", new long[] {e}));
            r.add(new SyntheticLlama.TensorSpec(b + "ffn_norm.weight", new long[] {e}));
            r.add(new SyntheticLlama.TensorSpec(b + "ffn_gate.weight", new long[] {e, N_FF}));
            r.add(new SyntheticLlama.TensorSpec(b + "ffn_up.weight", new long[] {e, N_FF}));
            r.add(new SyntheticLlama.TensorSpec(b + "ffn_down.weight", new long[] {N_FF, e}));
            r.add(new SyntheticLlama.TensorSpec(b + "post_ffw_norm.weight", new long[] {e}));
            r.add(new SyntheticLlama.TensorSpec(b + "layer_output_scale.weight", new long[] {1}));
        }
        return r;
    }

    /** The assistant's metadata: its own width and layers, the target's head sizes, RoPE and window, and {@code tokenizer}. */
    public static Map<String, GgufValue> metadata(SyntheticLlama.Config target, int nVocab, Map<String, GgufValue> tokenizer, SyntheticLlama.TypePolicy types) {
        SyntheticLlama.Gemma4 g = target.gemma4();
        String a = ARCH;
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.of(a));
        m.put("general.name", GgufValue.of("synthetic-" + a));
        Integer ftype = SyntheticLlama.fileType(types.typeFor("blk.0.attn_output.weight", new long[] {target.headDim() * N_HEAD, N_EMBD}));
        if (ftype != null) m.put("general.file_type", GgufValue.u32(ftype));
        m.put(a + ".vocab_size", GgufValue.u32(nVocab));
        m.put(a + ".context_length", GgufValue.u32(target.contextLength()));
        m.put(a + ".embedding_length", GgufValue.u32(N_EMBD));
        m.put(a + ".embedding_length_out", GgufValue.u32(target.nEmbd()));
        m.put(a + ".block_count", GgufValue.u32(N_LAYER));
        m.put(a + ".nextn_predict_layers", GgufValue.u32(N_LAYER));
        m.put(a + ".feed_forward_length", GgufValue.u32(N_FF));
        m.put(a + ".attention.head_count", GgufValue.u32(N_HEAD));
        int[] kvHeads = new int[N_LAYER];
        boolean[] swa = new boolean[N_LAYER];
        for (int i = 0; i < N_LAYER; i++) {
            swa[i] = !globalLayer(i);
            kvHeads[i] = swa[i] ? target.nHeadKv() : g.nHeadKvGlobal();
        }
        m.put(a + ".attention.head_count_kv", GgufValue.ints(kvHeads));
        m.put(a + ".attention.key_length", GgufValue.u32(g.headDimGlobal()));
        m.put(a + ".attention.value_length", GgufValue.u32(g.headDimGlobal()));
        m.put(a + ".attention.key_length_swa", GgufValue.u32(target.headDim()));
        m.put(a + ".attention.value_length_swa", GgufValue.u32(target.headDim()));
        m.put(a + ".rope.dimension_count", GgufValue.u32(g.headDimGlobal()));
        m.put(a + ".rope.dimension_count_swa", GgufValue.u32(target.headDim()));
        m.put(a + ".rope.freq_base", GgufValue.f32(target.ropeFreqBase()));
        m.put(a + ".rope.freq_base_swa", GgufValue.f32(10000f));
        m.put(a + ".attention.layer_norm_rms_epsilon", GgufValue.f32(target.rmsEps()));
        m.put(a + ".attention.sliding_window", GgufValue.u32(target.slidingWindow()));
        m.put(a + ".attention.sliding_window_pattern", GgufValue.bools(swa));
        m.put("synthetic.seed", GgufValue.u64(target.seed()));
        m.putAll(tokenizer);
        return m;
    }

    /**
     * Writes the target to {@code targetOut} and its assistant to {@code assistantOut}, their matrices of type {@code types}
     * (the same values whatever the type: a quantized file is the F32 one quantized), with {@code vocab}'s tokenizer.
     */
    public static void write(Path targetOut, Path assistantOut, long seed, boolean cycle, GgufFile vocab, SyntheticLlama.TypePolicy types) {
        SyntheticLlama.Config t = target(seed);
        int nVocab = SyntheticLlama.vocabSize(vocab);
        SyntheticLlama.write(targetOut, t, vocab, types, (name, n) -> {}, (name, ne, first, n, out) -> targetRows(t, cycle, nVocab, name, ne, first, n, out));
        Map<String, GgufValue> tok = new LinkedHashMap<>();
        for (Map.Entry<String, GgufValue> e : vocab.metadata().entrySet()) if (e.getKey().startsWith("tokenizer.")) tok.put(e.getKey(), e.getValue());
        // the assistant's own random values come from a stream of their own (its tensor names are the target's)
        SyntheticLlama.Config own = t.withSeed(seed * 0x2545F4914F6CDD1DL + 0x5A55);
        float[] p = cycle ? SyntheticLlama.weights(own, "nextn.pre_projection.weight", new long[] {2L * t.nEmbd(), N_EMBD}) : null;
        SyntheticLlama.writeTensors(assistantOut, metadata(t, nVocab, tok, types), tensors(t, nVocab), types, (name, n) -> {},
                (name, ne, first, n, out) -> assistantRows(t, own, cycle, p, nVocab, name, ne, first, n, out));
    }

    /** The previous token of the cycle t -> t + 1 (mod the vocabulary). */
    private static long before(long v, int nVocab) { return (v + nVocab - 1) % nVocab; }

    private static void targetRows(SyntheticLlama.Config t, boolean cycle, int nVocab, String name, long[] ne, long first, int n, float[] out) {
        SyntheticLlama.fillRows(t, name, ne, first, n, out);
        if (!cycle || !name.equals("output.weight")) return;
        int e = (int) ne[0];
        float[] emb = new float[e];
        for (int r = 0; r < n; r++) {
            SyntheticLlama.fillRows(t, "token_embd.weight", new long[] {e, nVocab}, before(first + r, nVocab), 1, emb);
            for (int j = 0; j < e; j++) out[r * e + j] += CYCLE_WEIGHT * emb[j] / 16f;
        }
    }

    private static void assistantRows(SyntheticLlama.Config t, SyntheticLlama.Config own, boolean cycle, float[] p, int nVocab,
                                      String name, long[] ne, long first, int n, float[] out) {
        SyntheticLlama.fillRows(own, name, ne, first, n, out);
        int et = t.nEmbd();
        if (name.equals("nextn.pre_projection.weight")) {
            // row r: [embedding half (et), hidden-state half (et)]
            float hiddenScale = cycle ? 1f / 16f : 16f;
            for (int r = 0; r < n; r++) for (int j = et; j < 2 * et; j++) out[r * 2 * et + j] *= hiddenScale;
        } else if (cycle && name.equals("token_embd.weight")) {
            float[] emb = new float[et];
            for (int r = 0; r < n; r++) {
                SyntheticLlama.fillRows(t, "token_embd.weight", new long[] {et, nVocab}, before(first + r, nVocab), 1, emb);
                for (int i = 0; i < N_EMBD; i++) {
                    double s = 0;
                    for (int j = 0; j < et; j++) s += p[i * 2 * et + j] * emb[j];
                    out[r * N_EMBD + i] = (float) s;
                }
            }
        }
    }
}
