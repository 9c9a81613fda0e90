package ggufc.ir.text;

import ggufc.ir.DType;
import ggufc.ir.Dim;
import ggufc.ir.Graph;
import ggufc.ir.GraphBuilder;
import ggufc.ir.Node;
import ggufc.ir.Shape;
import ggufc.ir.TensorType;

import java.util.List;

/** Hand-built graphs whose printed form is checked in as golden text. */
final class SampleGraphs {
    private SampleGraphs() {}

    /** One llama-style decoder layer with KV caches written back, then the logits of the last token. */
    static Graph llamaLayer() {
        GraphBuilder b = new GraphBuilder("llama_decode");
        Dim t = Dim.sym("T"), l = Dim.sym("L");
        Node tokens = b.input("tokens", TensorType.of(DType.I32, "T"));
        Node pos = b.input("pos", TensorType.of(DType.I32, "T"));
        Node embd = b.param("token_embd.weight", TensorType.of(DType.Q8_0, 512, 64));
        Node x = b.embed(embd, tokens);
        Node xn = b.rmsNorm(x, b.param("blk.0.attn_norm.weight", TensorType.of(DType.F32, 64)), 1e-5);
        Node q = b.reshape(b.matmul(xn, b.param("blk.0.attn_q.weight", TensorType.of(DType.Q8_0, 64, 64))), Shape.of(t, 8, 8));
        Node k = b.reshape(b.matmul(xn, b.param("blk.0.attn_k.weight", TensorType.of(DType.Q4_0, 16, 64))), Shape.of(t, 2, 8));
        Node v = b.reshape(b.matmul(xn, b.param("blk.0.attn_v.weight", TensorType.of(DType.F16, 16, 64))), Shape.of(t, 2, 8));
        q = b.rope(q, pos, "neox", 8, 10000.0, 1.0);
        k = b.rope(k, pos, "neox", 8, 10000.0, 1.0);
        Node kc = b.state("cache.k.0", TensorType.of(DType.F16, Dim.sym("ctx"), 2, 8));
        Node vc = b.state("cache.v.0", TensorType.of(DType.F16, Dim.sym("ctx"), 2, 8));
        Node kw = b.kvWrite(kc, k, pos), vw = b.kvWrite(vc, v, pos);
        Node att = b.attention(q, b.kvRead(kw, l), b.kvRead(vw, l), pos, 0.3535533905932738);
        Node o = b.matmul(b.reshape(att, Shape.of(t, 64)), b.param("blk.0.attn_output.weight", TensorType.of(DType.F32, 64, 64)));
        Node h = b.addOp(x, o);
        Node bias = b.constant(TensorType.of(DType.F32, 2), List.of(1.0, -2.5));
        Node logits = b.matmul(b.lastRow(b.rmsNorm(h, b.param("output_norm.weight", TensorType.of(DType.F32, 64)), 1e-5)), embd);
        b.output("logits", logits);
        b.output("cache.k.0", kw);
        b.output("cache.v.0", vw);
        b.output("bias", b.scale(b.silu(bias), -0.0));
        return b.build();
    }
}
