package ggufc.lift;

import ggufc.gguf.GgufException;
import ggufc.gguf.GgufFile;
import ggufc.gguf.GgufTensorInfo;
import ggufc.ir.DType;
import ggufc.ir.Dim;
import ggufc.ir.GraphBuilder;
import ggufc.ir.Node;
import ggufc.ir.Shape;
import ggufc.ir.TensorType;
import ggufc.ir.Graph;
import java.util.Set;

/**
 * Lifts a GGUF {@code llama} model into one step graph: {@code tokens[T]} and {@code pos[T]} in,
 * logits out, with one K and one V cache state per layer. {@code T} (tokens this step) and
 * {@code L} (context length after it) are symbols, so the same graph runs a prompt (T = prompt
 * length) and a decode step (T = 1). The graph mirrors llama.cpp's {@code llm_build_llama}:
 * pre-norm attention with normal-mode RoPE and GQA, then a SwiGLU FFN, both with residuals.
 */
public final class LlamaLifter {
    /** Architectures lifted with this graph (same tensors and wiring as llama). */
    public static final Set<String> ARCHITECTURES = Set.of("llama");

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

    /** Fails with a clear message unless the file's architecture can be lifted. */
    public static void requireSupported(GgufFile f) {
        if (!f.has("general.architecture")) throw new GgufException(f.path(), "missing metadata key 'general.architecture'");
        String arch = f.getString("general.architecture");
        if (!ARCHITECTURES.contains(arch)) {
            throw new GgufException(f.path(), "unknown or unsupported architecture '" + arch + "' (supported: " + String.join(", ", ARCHITECTURES) + ")");
        }
    }

    /**
     * The step graph of {@code f}. Hyperparameters and tensors are checked first, each problem one
     * {@link GgufException} naming the file and the key or tensor; anything the IR's type rules
     * still refuse is reported against the file too, never as a bare IR node.
     */
    public static Graph lift(GgufFile f, Options opt) {
        try {
            return liftChecked(f, opt);
        } catch (ggufc.ir.IrException e) {
            int more = e.problems().size() - 1;
            throw new GgufException(f.path(), "cannot lift the model: " + e.problems().get(0) + (more > 0 ? " (and " + more + " more)" : ""), e);
        }
    }

    private static Graph liftChecked(GgufFile f, Options opt) {
        requireSupported(f);
        String arch = f.getString("general.architecture");
        LlamaHparams hp = LlamaHparams.read(f);
        GraphBuilder b = new GraphBuilder(arch + "_step");
        Node tokens = b.input(TOKENS, TensorType.of(DType.I32, T));
        Node pos = b.input(POSITIONS, TensorType.of(DType.I32, T));
        Node x = b.embed(weight(b, f, "token_embd.weight", hp.vocab(), hp.nEmbd()), tokens);
        double scale = 1.0 / Math.sqrt(hp.headDim());
        for (int l = 0; l < hp.nLayer(); l++) {
            String p = "blk." + l + ".";
            Node h = b.rmsNorm(x, weight(b, f, p + "attn_norm.weight", hp.nEmbd()), hp.rmsEps());
            Node q = b.matmul(h, weight(b, f, p + "attn_q.weight", hp.nHead() * hp.headDim(), hp.nEmbd()));
            Node k = b.matmul(h, weight(b, f, p + "attn_k.weight", hp.kvDim(), hp.nEmbd()));
            Node v = b.matmul(h, weight(b, f, p + "attn_v.weight", hp.kvDim(), hp.nEmbd()));
            q = b.reshape(q, Shape.of(T, hp.nHead(), hp.headDim()));
            k = b.reshape(k, Shape.of(T, hp.nHeadKv(), hp.headDim()));
            v = b.reshape(v, Shape.of(T, hp.nHeadKv(), hp.headDim()));
            q = b.rope(q, pos, "normal", hp.nRot(), hp.ropeFreqBase(), hp.ropeFreqScale());
            k = b.rope(k, pos, "normal", hp.nRot(), hp.ropeFreqBase(), hp.ropeFreqScale());
            TensorType cacheType = TensorType.of(opt.kvType(), opt.ctx(), hp.nHeadKv(), hp.headDim());
            Node kCache = b.kvWrite(b.state(cacheK(l), cacheType), k, pos);
            Node vCache = b.kvWrite(b.state(cacheV(l), cacheType), v, pos);
            b.output(cacheK(l), kCache);
            b.output(cacheV(l), vCache);
            Node scores = b.attnScores(q, b.kvRead(kCache, L), scale);
            Node probs = b.softmax(b.causalMask(scores, pos));
            Node attn = b.attnValues(probs, b.kvRead(vCache, L));
            attn = b.reshape(attn, Shape.of(T, hp.nHead() * hp.headDim()));
            x = b.addOp(x, b.matmul(attn, weight(b, f, p + "attn_output.weight", hp.nEmbd(), hp.nHead() * hp.headDim())));
            h = b.rmsNorm(x, weight(b, f, p + "ffn_norm.weight", hp.nEmbd()), hp.rmsEps());
            Node gate = b.silu(b.matmul(h, weight(b, f, p + "ffn_gate.weight", hp.nFf(), hp.nEmbd())));
            Node up = b.matmul(h, weight(b, f, p + "ffn_up.weight", hp.nFf(), hp.nEmbd()));
            x = b.addOp(x, b.matmul(b.mul(gate, up), weight(b, f, p + "ffn_down.weight", hp.nEmbd(), hp.nFf())));
        }
        if (!opt.allLogits()) x = b.lastRow(x);
        Node hidden = b.rmsNorm(x, weight(b, f, "output_norm.weight", hp.nEmbd()), hp.rmsEps());
        String out = hp.tiedOutput() ? "token_embd.weight" : "output.weight";
        Node logits = b.matmul(hidden, weight(b, f, out, hp.vocab(), hp.nEmbd()));
        b.output(LOGITS, logits);
        b.output(HIDDEN, hidden);
        return b.build();
    }

    /**
     * Declares param {@code name} with its file dtype after checking its shape (IR order), and
     * returns it as f32: quantized and half weights go through an explicit DEQUANT, which the
     * fold-quant-dequant pass later folds into the consuming op.
     */
    private static Node weight(GraphBuilder b, GgufFile f, String name, long... shape) {
        Node existing = b.graphParam(name);
        if (existing != null) return existing.dtype() == DType.F32 ? existing : b.dequantOf(existing);
        GgufTensorInfo t = f.tensor(name);
        if (t == null) throw new GgufException(f.path(), "missing tensor '" + name + "'");
        long[] s = t.irShape();
        if (!java.util.Arrays.equals(s, shape)) {
            throw new GgufException(f.path(), "tensor '" + name + "' has shape " + java.util.Arrays.toString(s) + ", expected " + java.util.Arrays.toString(shape));
        }
        DType dt = GgufWeights.irDType(t);
        if (!dt.isFloat() && !dt.isQuantized()) {
            throw new GgufException(f.path(), "tensor '" + name + "' is " + t.ggmlType() + ", an integer type, which cannot hold weights (expected F32, F16, BF16 or a quantized type)");
        }
        Node p = b.param(name, new TensorType(Shape.of(s), dt));
        return dt == DType.F32 ? p : b.dequant(p);
    }
}
