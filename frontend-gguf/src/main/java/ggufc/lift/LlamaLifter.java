package ggufc.lift;

import ggufc.gguf.GgufFile;
import ggufc.ir.DType;
import ggufc.ir.Dim;
import ggufc.ir.Graph;

/**
 * The step graph's interface, shared by every architecture ({@link Lifters}), and the {@code llama}
 * architecture itself. A step graph takes {@code tokens[T]} and {@code pos[T]}, gives logits, and
 * has one K and one V cache state per layer. {@code T} (tokens this step) and {@code L} (context
 * length after it) are symbols, so the same graph runs a prompt (T = prompt length) and a decode
 * step (T = 1). {@link #llama} mirrors llama.cpp's {@code llm_build_llama}.
 */
public final class LlamaLifter {
    public static final String TOKENS = "tokens";
    public static final String POSITIONS = "pos";
    public static final String LOGITS = "logits";
    /** The final hidden state (after output_norm): what an MTP/draft head reads. */
    public static final String HIDDEN = "hidden";
    public static final Dim T = Dim.sym("T");
    public static final Dim L = Dim.sym("L");

    /**
     * @param ctx KV cache capacity in tokens
     * @param allLogits logits for every position ([T, vocab]) instead of the last one ([1, vocab])
     * @param kvType cache element type (f32 or f16)
     */
    public record Options(int ctx, boolean allLogits, DType kvType) {
        public Options {
            if (ctx <= 0) throw new IllegalArgumentException("context size must be positive, got " + ctx);
            if (kvType != DType.F32 && kvType != DType.F16) throw new IllegalArgumentException("KV cache type must be f32 or f16, got " + kvType);
        }
    }

    private LlamaLifter() {}

    public static String cacheK(int layer) { return "cache.k." + layer; }

    public static String cacheV(int layer) { return "cache.v." + layer; }

    /** Fails with a clear message unless the file's architecture can be lifted ({@link Lifters#requireSupported}). */
    public static void requireSupported(GgufFile f) { Lifters.requireSupported(f); }

    /** Lifts any supported architecture ({@link Lifters#lift}); kept for callers that predate the registry. */
    public static Graph lift(GgufFile f, Options opt) { return Lifters.lift(f, opt); }

    /** llama: pre-norm attention with normal-mode RoPE and GQA, then a SwiGLU FFN, both with residuals. */
    static Graph llama(GgufFile f, LlamaHparams hp, Options opt) {
        Blocks b = Blocks.start(f, hp, opt);
        Blocks.Attn attn = Blocks.Attn.rope("normal");
        for (int l = 0; l < hp.nLayer(); l++) {
            b.residual(b.attention(l, b.rmsNorm(b.x(), "blk." + l + ".attn_norm.weight"), attn));
            b.residual(b.swiGlu(l, b.rmsNorm(b.x(), "blk." + l + ".ffn_norm.weight")));
        }
        return b.finish(false);
    }
}
