package ggufc.golden;

import ggufc.gguf.GgmlType;
import ggufc.gguf.GgufValue;
import ggufc.gguf.GgufWriter;
import java.nio.file.Path;

/**
 * A llama GGUF with real shapes and no weight values: the tensor data is left as holes in a sparse
 * file (GgufWriter maps the file and the fill writes nothing), so a 1B-class model costs no disk.
 * Enough to lift the graph and count its costs; not to run it.
 */
record ShapedLlama(String name, int nEmbd, int nLayer, int nFf, int nHead, int nHeadKv, int vocab, double ropeBase, int ctx) {
    /** Llama-3.2-1B's shapes: 16 layers, 2048 wide, 32 query / 8 KV heads of 64, FFN 8192, 128256 tokens, tied output. */
    static final ShapedLlama LLAMA_1B = new ShapedLlama("llama-1b", 2048, 16, 8192, 32, 8, 128256, 500000.0, 131072);

    Path write(Path dir, GgmlType type) {
        GgufWriter w = new GgufWriter()
                .put("general.architecture", GgufValue.of("llama"))
                .put("general.name", GgufValue.of(name + "-" + type + " (shapes only)"))
                .put("llama.embedding_length", GgufValue.u32(nEmbd))
                .put("llama.block_count", GgufValue.u32(nLayer))
                .put("llama.feed_forward_length", GgufValue.u32(nFf))
                .put("llama.attention.head_count", GgufValue.u32(nHead))
                .put("llama.attention.head_count_kv", GgufValue.u32(nHeadKv))
                .put("llama.rope.freq_base", GgufValue.f32((float) ropeBase))
                .put("llama.attention.layer_norm_rms_epsilon", GgufValue.f32(1e-5f))
                .put("llama.context_length", GgufValue.u32(ctx));
        int kv = nEmbd / nHead * nHeadKv;
        tensor(w, "token_embd.weight", type, nEmbd, vocab);
        for (int l = 0; l < nLayer; l++) {
            String p = "blk." + l + ".";
            tensor(w, p + "attn_norm.weight", GgmlType.F32, nEmbd);
            tensor(w, p + "attn_q.weight", type, nEmbd, nEmbd);
            tensor(w, p + "attn_k.weight", type, nEmbd, kv);
            tensor(w, p + "attn_v.weight", type, nEmbd, kv);
            tensor(w, p + "attn_output.weight", type, nEmbd, nEmbd);
            tensor(w, p + "ffn_norm.weight", GgmlType.F32, nEmbd);
            tensor(w, p + "ffn_gate.weight", type, nEmbd, nFf);
            tensor(w, p + "ffn_up.weight", type, nEmbd, nFf);
            tensor(w, p + "ffn_down.weight", type, nFf, nEmbd);
        }
        tensor(w, "output_norm.weight", GgmlType.F32, nEmbd);
        Path out = dir.resolve(name + "-" + type + ".gguf");
        w.write(out);
        return out;
    }

    /** ne in GGUF order (ne0 = the contiguous dimension). */
    private static void tensor(GgufWriter w, String name, GgmlType type, long... ne) {
        w.tensor(name, type, ne, segment -> { });
    }
}
