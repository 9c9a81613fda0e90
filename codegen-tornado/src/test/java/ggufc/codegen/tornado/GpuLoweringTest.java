package ggufc.codegen.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.codegen.tornado.lower.Extent;
import ggufc.codegen.tornado.lower.GpuLowering;
import ggufc.codegen.tornado.lower.LaunchPlan;
import ggufc.codegen.tornado.lower.LaunchPlan.BufferKind;
import ggufc.codegen.tornado.lower.LlamaCppActivations;
import ggufc.ir.DType;
import ggufc.ir.Dim;
import ggufc.ir.Graph;
import ggufc.ir.GraphBuilder;
import ggufc.ir.IrException;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.Shape;
import ggufc.ir.TensorType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Instruction selection: which graph patterns become which kernels, and the buffers and grids a plan gets. */
class GpuLoweringTest {
    /** One llama block as the lifter builds it (2 heads, 1 KV head, head dim 16, FFN 64), weights of {@code wt}. */
    static Graph block(DType wt) {
        GraphBuilder b = new GraphBuilder("block");
        Node tokens = b.input("tokens", TensorType.of(DType.I32, "T"));
        Node pos = b.input("pos", TensorType.of(DType.I32, "T"));
        Node x = b.embed(w(b, "embd", wt, 32, 32), tokens);
        Node h = b.rmsNorm(x, b.param("n1", TensorType.of(DType.F32, 32)), 1e-5);
        Node q = b.reshape(b.matmul(h, w(b, "wq", wt, 32, 32)), Shape.of("T", 2, 16));
        Node k = b.reshape(b.matmul(h, w(b, "wk", wt, 16, 32)), Shape.of("T", 1, 16));
        Node v = b.reshape(b.matmul(h, w(b, "wv", wt, 16, 32)), Shape.of("T", 1, 16));
        q = b.rope(q, pos, "normal", 16, 10000, 1);
        Node kc = b.kvWrite(b.state("k", TensorType.of(DType.F32, 16, 1, 16)), b.rope(k, pos, "normal", 16, 10000, 1), pos);
        Node vc = b.kvWrite(b.state("v", TensorType.of(DType.F32, 16, 1, 16)), v, pos);
        b.output("k", kc);
        b.output("v", vc);
        Node att = b.attnValues(b.softmax(b.causalMask(b.attnScores(q, b.kvRead(kc, Dim.sym("L")), 0.5), pos)), b.kvRead(vc, Dim.sym("L")));
        x = b.addOp(x, b.matmul(b.reshape(att, Shape.of("T", 32)), w(b, "wo", wt, 32, 32)));
        Node h2 = b.rmsNorm(x, b.param("n2", TensorType.of(DType.F32, 32)), 1e-5);
        x = b.addOp(x, b.matmul(b.mul(b.silu(b.matmul(h2, w(b, "wg", wt, 64, 32))), b.matmul(h2, w(b, "wu", wt, 64, 32))), w(b, "wd", wt, 32, 64)));
        b.output("logits", b.matmul(b.lastRow(x), w(b, "out", wt, 32, 32)));
        return b.build();
    }

    static Node w(GraphBuilder b, String name, DType t, int n, int k) {
        Node p = b.param(name, TensorType.of(t, n, k));
        return t == DType.F32 ? p : b.dequant(p);
    }

    static List<String> kernels(LaunchPlan p) { return p.launches().stream().map(LaunchPlan.Launch::kernel).toList(); }

    @Test
    void aLlamaBlockBecomesFusedKernels() {
        LaunchPlan p = GpuLowering.lower(block(DType.Q4_0), new GpuLowering.Options(8, 16));
        List<String> want = List.of("embed_q4_0_d32", "rms_norm_d32_", "matvec_q4_0_k32_n32x16x16", "rope_h2_d16_norm_r16_b10000",
                "rope_h1_d16_norm_r16_b10000_kv_f32", "kv_write_h1_d16_f32", "attn_decode_h2_kv1_d16_f32_s0p5", "attn_prompt_h2_kv1_d16_f32_s0p5", "matvec_q4_0_k32_n32_res",
                "rms_norm_d32_", "matvec_q4_0_k32_n64_swiglu", "matvec_q4_0_k64_n32_res", "slice_w32_o0_s32", "matvec_q4_0_k32_n32");
        List<String> got = kernels(p);
        assertEquals(want.size(), got.size(), got.toString());
        for (int i = 0; i < want.size(); i++) {
            String w = want.get(i);
            assertTrue(w.endsWith("_") ? got.get(i).startsWith(w) : got.get(i).equals(w), "launch " + i + ": " + got.get(i) + ", expected " + w);
        }
        assertEquals(p.kernel(p.argmax().kernel()).name(), "argmax_n32");
        // the KV writes update the states in place: the outputs are the state buffers
        assertEquals(p.states().get("k"), p.outputs().get("k"));
        assertEquals(p.states().get("v"), p.outputs().get("v"));
        // weights are read as raw blocks: the param buffers hold the Q4_0 bytes
        assertTrue(p.buffers().stream().filter(b -> b.kind() == BufferKind.PARAM && "wq".equals(b.source())).allMatch(b -> b.bytes() == 32 * 18));
    }

    @Test
    void temporariesShareBuffersWhenLifetimesDoNotOverlap() {
        LaunchPlan p = GpuLowering.lower(block(DType.F32), new GpuLowering.Options(8, 16));
        long temps = p.buffers().stream().filter(b -> b.kind() == BufferKind.TEMP).count();
        assertTrue(temps <= 7, "temporaries: " + temps + "\n" + p.describe());
    }

    @Test
    void aMatmulWithAnotherUserIsNotFusedIntoTheResidual() {
        GraphBuilder b = new GraphBuilder("g");
        Node x = b.input("x", TensorType.of(DType.F32, "T", 32));
        Node m = b.matmul(x, b.param("w", TensorType.of(DType.F32, 32, 32)));
        b.output("sum", b.addOp(x, m));
        b.output("product", m);
        List<String> k = kernels(GpuLowering.lower(b.build(), new GpuLowering.Options(4, 4)));
        assertEquals(List.of("matvec_f32_k32_n32", "add_same"), k);
    }

    @Test
    void llamaCppActivationsQuantizeOncePerActivation() {
        Graph g = LlamaCppActivations.apply(block(DType.Q8_0));
        long quantizes = g.nodes().stream().filter(n -> n.op() == OpKind.QUANTIZE).count();
        // h (q, k, v share it), the attention output, h2 (gate and up share it), the FFN product, the last row
        assertEquals(5, quantizes);
        List<String> k = kernels(GpuLowering.lower(g, new GpuLowering.Options(8, 16)));
        assertTrue(k.contains("matvec_q8_0_q8act_k32_n64_swiglu") && k.contains("quantize_q8_0_k32"), k.toString());
    }

    @Test
    void aKvWriteToAStateSomethingElseReadsIsRejected() {
        GraphBuilder b = new GraphBuilder("g");
        Node x = b.input("x", TensorType.of(DType.F32, "T", 1, 4));
        Node pos = b.input("pos", TensorType.of(DType.I32, "T"));
        Node s = b.state("c", TensorType.of(DType.F32, 8, 1, 4));
        b.output("c", b.kvWrite(s, x, pos));
        b.output("old", b.kvRead(s, Dim.sym("L")));
        IrException e = assertThrows(IrException.class, () -> GpuLowering.lower(b.build(), new GpuLowering.Options(4, 8)));
        assertTrue(e.getMessage().contains("a KV write must update a state that nothing else reads"), e.getMessage());
    }

    @Test
    void extentsEvaluateAndPrint() {
        Extent e = Extent.T.times(8).ceilDiv(16);
        assertEquals(1, e.eval(1, 9));
        assertEquals(3, e.eval(5, 9));
        assertEquals("ceil((8*T) / 16)", e.toString());
        assertEquals("T*L + 3", new Extent(3, 0, 0, 1, 1).toString());
        assertEquals(2 * 7 + 3, new Extent(3, 0, 0, 1, 1).eval(2, 7));
        assertEquals("T - 1", Extent.T.plus(Extent.of(-1)).toString());
    }
}
