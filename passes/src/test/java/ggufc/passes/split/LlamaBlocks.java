package ggufc.passes.split;

import ggufc.ir.DType;
import ggufc.ir.Dim;
import ggufc.ir.Graph;
import ggufc.ir.GraphBuilder;
import ggufc.ir.Node;
import ggufc.ir.Shape;
import ggufc.ir.TensorType;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Random llama-like models in lifted form (what the lifters build, with their GGUF weight names, which the split
 * passes read): token embedding; per layer an RMS-normed attention (Q/K/V matmuls with optional biases, reshape to
 * heads, optional per-head q/k RMS norm, RoPE, K/V written to and read from the caches {@code cache.k.N} /
 * {@code cache.v.N}, scores, causal mask, softmax, values, attn_output) and an RMS-normed SwiGLU FFN, dense or a
 * mixture of experts (router, topk, matmul_id, weighted_sum), each added to the residual stream; then the last row,
 * the output norm and the output head (own or tied to the embedding). Head counts, GQA, head and model sizes, the FFN
 * size and the layer count are random; Q/K/V may be one fused attn_qkv weight read through split ops (Phi-3's), and
 * the matrices F32, F16 or Q8_0 (where their rows are whole blocks).
 */
record LlamaBlocks(int layers, int kvHeads, int gqa, int headDim, int embd, int ffn, int vocab, boolean bias, boolean qkNorm,
        int experts, boolean tied, String ropeMode, DType weights, boolean fusedQkv) {

    static final int CTX = 8;

    long heads() { return (long) kvHeads * gqa; }

    static Arbitrary<LlamaBlocks> arbitrary() {
        Arbitrary<int[]> sizes = Combinators.combine(Arbitraries.integers().between(1, 3), Arbitraries.integers().between(1, 4),
                Arbitraries.integers().between(1, 3), Arbitraries.of(2, 4, 8), Arbitraries.of(16, 32, 48),
                Arbitraries.integers().between(1, 12).map(i -> 8 * i), Arbitraries.integers().between(8, 40))
                .as((l, kv, g, hd, e, f, v) -> new int[] {l, kv, g, hd, e, f, v});
        Arbitrary<Object[]> flags = Combinators.combine(Arbitraries.of(true, false), Arbitraries.of(true, false),
                Arbitraries.of(0, 0, 0, 4), Arbitraries.of(true, false), Arbitraries.of("normal", "neox"), Arbitraries.of(DType.F32, DType.F32, DType.F16, DType.Q8_0),
                Arbitraries.of(false, false, true))
                .as((b, n, x, t, r, w, q) -> new Object[] {b, n, x, t, r, w, q});
        return Combinators.combine(sizes, flags).as((s, f) -> new LlamaBlocks(s[0], s[1], s[2], s[3], s[4], s[5], s[6],
                (Boolean) f[0], (Boolean) f[1], (Integer) f[2], (Boolean) f[3], (String) f[4], (DType) f[5], (Boolean) f[6]).wholeBlocks());
    }

    /** With quantized weights: sizes rounded up so every matrix row is whole blocks (Q rows too, by a larger head size). */
    LlamaBlocks wholeBlocks() {
        int bs = weights.blockSize();
        if (bs == 1) return this;
        int e = (embd + bs - 1) / bs * bs, f = (ffn + bs - 1) / bs * bs;
        int hd = headDim;
        while ((long) kvHeads * gqa * hd % bs != 0) hd *= 2;
        return new LlamaBlocks(layers, kvHeads, gqa, hd, e, f, vocab, bias, qkNorm, experts, tied, ropeMode, weights, fusedQkv);
    }

    /** The weights' type: a quantized type only where every matrix row is whole blocks (else F32). */
    DType weightType() {
        long nq = heads() * headDim;
        return weights.blockSize() > 1 && (embd % weights.blockSize() != 0 || ffn % weights.blockSize() != 0 || nq % weights.blockSize() != 0)
                ? DType.F32 : weights;
    }

    /** The lifted-form graph of this model, one step of T tokens. */
    Graph graph() {
        DType weights = weightType();
        Dim t = Dim.sym("T"), l = Dim.sym("L");
        GraphBuilder b = new GraphBuilder("llama");
        Node tokens = b.input("tokens", TensorType.of(DType.I32, t));
        Node pos = b.input("pos", TensorType.of(DType.I32, t));
        Node table = b.param("token_embd.weight", TensorType.of(DType.F32, vocab, embd));
        Node x = b.embed(table, tokens);
        long nq = heads() * headDim, nkv = (long) kvHeads * headDim;
        for (int i = 0; i < layers; i++) {
            String p = "blk." + i + ".";
            Node h = b.rmsNorm(x, b.param(p + "attn_norm.weight", TensorType.of(DType.F32, embd)), 1e-5);
            Node q, k, v;
            if (fusedQkv) {
                // Phi-3's layout: one attn_qkv matmul read through split ops (bias per part)
                Node qkv = b.matmul(h, b.param(p + "attn_qkv.weight", TensorType.of(weights, nq + 2 * nkv, embd)));
                q = bias(b, b.add(ggufc.ir.OpKind.SPLIT, ggufc.ir.Attrs.of("offset", 0L, "size", nq), qkv), p + "attn_q", nq);
                k = bias(b, b.add(ggufc.ir.OpKind.SPLIT, ggufc.ir.Attrs.of("offset", nq, "size", nkv), qkv), p + "attn_k", nkv);
                v = bias(b, b.add(ggufc.ir.OpKind.SPLIT, ggufc.ir.Attrs.of("offset", nq + nkv, "size", nkv), qkv), p + "attn_v", nkv);
            } else {
                q = proj(b, h, p + "attn_q", nq, weights);
                k = proj(b, h, p + "attn_k", nkv, weights);
                v = proj(b, h, p + "attn_v", nkv, weights);
            }
            q = b.reshape(q, Shape.of(t, heads(), headDim));
            k = b.reshape(k, Shape.of(t, kvHeads, headDim));
            v = b.reshape(v, Shape.of(t, kvHeads, headDim));
            if (qkNorm) {
                q = b.rmsNorm(q, b.param(p + "attn_q_norm.weight", TensorType.of(DType.F32, headDim)), 1e-6);
                k = b.rmsNorm(k, b.param(p + "attn_k_norm.weight", TensorType.of(DType.F32, headDim)), 1e-6);
            }
            q = b.rope(q, pos, ropeMode, headDim, 10000.0, 1.0);
            k = b.rope(k, pos, ropeMode, headDim, 10000.0, 1.0);
            TensorType cache = TensorType.of(DType.F32, CTX, kvHeads, headDim);
            Node kc = b.kvWrite(b.state("cache.k." + i, cache), k, pos), vc = b.kvWrite(b.state("cache.v." + i, cache), v, pos);
            b.output("cache.k." + i, kc);
            b.output("cache.v." + i, vc);
            Node probs = b.softmax(b.causalMask(b.attnScores(q, b.kvRead(kc, l), 1.0 / Math.sqrt(headDim)), pos));
            Node attn = b.reshape(b.attnValues(probs, b.kvRead(vc, l)), Shape.of(t, nq));
            x = b.addOp(x, b.matmul(attn, b.param(p + "attn_output.weight", TensorType.of(weights, embd, nq))));
            Node f = b.rmsNorm(x, b.param(p + "ffn_norm.weight", TensorType.of(DType.F32, embd)), 1e-5);
            Node out;
            if (experts == 0) {
                Node gate = b.matmul(f, b.param(p + "ffn_gate.weight", TensorType.of(weights, ffn, embd)));
                Node up = b.matmul(f, b.param(p + "ffn_up.weight", TensorType.of(weights, ffn, embd)));
                out = b.matmul(b.mul(b.silu(gate), up), b.param(p + "ffn_down.weight", TensorType.of(weights, embd, ffn)));
            } else {
                Node probsE = b.softmax(b.matmul(f, b.param(p + "ffn_gate_inp.weight", TensorType.of(DType.F32, experts, embd))));
                Node ids = b.topk(probsE, 2);
                Node w = b.takeAlong(probsE, ids);
                Node gate = b.matmulId(f, b.param(p + "ffn_gate_exps.weight", TensorType.of(weights, experts, ffn, embd)), ids);
                Node up = b.matmulId(f, b.param(p + "ffn_up_exps.weight", TensorType.of(weights, experts, ffn, embd)), ids);
                Node down = b.matmulId(b.mul(b.silu(gate), up), b.param(p + "ffn_down_exps.weight", TensorType.of(weights, experts, embd, ffn)), ids);
                out = b.weightedSum(down, w);
            }
            x = b.addOp(x, out);
        }
        Node last = b.rmsNorm(b.lastRow(x), b.param("output_norm.weight", TensorType.of(DType.F32, embd)), 1e-5);
        Node head = tied ? table : b.param("output.weight", TensorType.of(weights, vocab, embd));
        b.output("logits", b.matmul(last, head));
        return b.build();
    }

    private Node proj(GraphBuilder b, Node h, String name, long rows, DType weights) {
        return bias(b, b.matmul(h, b.param(name + ".weight", TensorType.of(weights, rows, embd))), name, rows);
    }

    private Node bias(GraphBuilder b, Node y, String name, long rows) {
        return bias ? b.addOp(y, b.param(name + ".bias", TensorType.of(DType.F32, rows))) : y;
    }
}
