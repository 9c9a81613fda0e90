package ggufc.codegen.vector;

import ggufc.gguf.GgmlType;
import ggufc.gguf.GgufValue;
import ggufc.gguf.GgufWriter;
import ggufc.ir.DType;
import ggufc.ir.quant.BlockCodecs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Random;

/** Writes a small llama GGUF with seeded random weights in a chosen dtype (norms stay f32), for end-to-end kernel tests. */
final class TinyLlama {
    private TinyLlama() {}

    static final int EMBD = 256, FF = 512, HEADS = 4, KV_HEADS = 2, LAYERS = 2, VOCAB = 96;

    static Path write(Path dir, DType weights, long seed) { return write(dir, weights.irName(), name -> weights, seed); }

    /** {@code types} picks each matrix's dtype by tensor name. */
    static Path write(Path dir, String label, java.util.function.Function<String, DType> types, long seed) {
        Random rnd = new Random(seed);
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValue.of("llama"));
        w.put("llama.embedding_length", GgufValue.u32(EMBD));
        w.put("llama.block_count", GgufValue.u32(LAYERS));
        w.put("llama.feed_forward_length", GgufValue.u32(FF));
        w.put("llama.attention.head_count", GgufValue.u32(HEADS));
        w.put("llama.attention.head_count_kv", GgufValue.u32(KV_HEADS));
        w.put("llama.attention.layer_norm_rms_epsilon", GgufValue.f32(1e-5f));
        w.put("llama.context_length", GgufValue.u32(64));
        tensor(w, "token_embd.weight", types.apply("token_embd.weight"), rnd, VOCAB, EMBD);
        tensor(w, "output_norm.weight", DType.F32, rnd, EMBD);
        tensor(w, "output.weight", types.apply("output.weight"), rnd, VOCAB, EMBD);
        int kv = EMBD / HEADS * KV_HEADS;
        for (int l = 0; l < LAYERS; l++) {
            String p = "blk." + l + ".";
            tensor(w, p + "attn_norm.weight", DType.F32, rnd, EMBD);
            tensor(w, p + "attn_q.weight", types.apply(p + "attn_q.weight"), rnd, EMBD, EMBD);
            tensor(w, p + "attn_k.weight", types.apply(p + "attn_k.weight"), rnd, kv, EMBD);
            tensor(w, p + "attn_v.weight", types.apply(p + "attn_v.weight"), rnd, kv, EMBD);
            tensor(w, p + "attn_output.weight", types.apply(p + "attn_output.weight"), rnd, EMBD, EMBD);
            tensor(w, p + "ffn_norm.weight", DType.F32, rnd, EMBD);
            tensor(w, p + "ffn_gate.weight", types.apply(p + "ffn_gate.weight"), rnd, FF, EMBD);
            tensor(w, p + "ffn_up.weight", types.apply(p + "ffn_up.weight"), rnd, FF, EMBD);
            tensor(w, p + "ffn_down.weight", types.apply(p + "ffn_down.weight"), rnd, EMBD, FF);
        }
        Path out = dir.resolve("tiny-" + label + ".gguf");
        w.write(out);
        return out;
    }

    /** A tensor of IR shape {@code dims} (outermost first); norms are near 1, matrices ~ N(0, 1/sqrt(K)). */
    private static void tensor(GgufWriter w, String name, DType t, Random rnd, long... dims) {
        int n = 1;
        for (long d : dims) n *= (int) d;
        float[] v = new float[n];
        boolean norm = dims.length == 1;
        double sd = norm ? 0.1 : 1 / Math.sqrt(dims[dims.length - 1]);
        for (int i = 0; i < n; i++) v[i] = (float) (norm ? 1 + rnd.nextGaussian() * sd : rnd.nextGaussian() * sd);
        MemorySegment seg = Arena.ofAuto().allocate(t.bytesFor(n), 8);
        BlockCodecs.quantize(t, v, 0, n, seg, 0);
        long[] ne = new long[dims.length];
        for (int i = 0; i < dims.length; i++) ne[i] = dims[dims.length - 1 - i];
        w.tensor(name, GgmlType.of(t), ne, seg);
    }
}
