package ggufc.ir.interp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ggufc.ir.DType;
import ggufc.ir.GraphBuilder;
import ggufc.ir.Node;
import ggufc.ir.Shape;
import ggufc.ir.TensorData;
import ggufc.ir.TensorType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Hand-computed cases for the reference interpreter's op semantics. */
class InterpreterTest {
    static final float EPS = 1e-6f;

    static TensorData f32(long[] shape, float... v) {
        MemorySegment s = Arena.ofAuto().allocate(4L * v.length, 4);
        for (int i = 0; i < v.length; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, v[i]);
        return new TensorData(DType.F32, shape, s);
    }

    static Map<String, Value> run(GraphBuilder b, Map<String, TensorData> params, Map<String, Value> inputs, Map<String, Long> syms) {
        return new Interpreter(b.build(), params::get).run(inputs, syms);
    }

    @Test
    void rmsNormMatmulAndResidual() {
        GraphBuilder b = new GraphBuilder("t");
        Node x = b.input("x", TensorType.of(DType.F32, 1, 2));
        Node nw = b.param("nw", TensorType.of(DType.F32, 2));
        Node w = b.param("w", TensorType.of(DType.F32, 2, 2));
        Node h = b.rmsNorm(x, nw, 1e-30);
        b.output("y", b.addOp(x, b.matmul(h, w)));
        // x = [3, 4]: rms = sqrt((9 + 16) / 2) = sqrt(12.5); h = x / rms * [1, 2]
        // w = [[1, 0], [1, 1]]: y = x + [h0, h0 + h1]
        double rms = Math.sqrt(12.5);
        double h0 = 3 / rms, h1 = 8 / rms;
        var out = run(b, Map.of("nw", f32(new long[] {2}, 1, 2), "w", f32(new long[] {2, 2}, 1, 0, 1, 1)),
                Map.of("x", Value.ofF32(new long[] {1, 2}, new float[] {3, 4})), Map.of());
        assertArrayEquals(new float[] {(float) (3 + h0), (float) (4 + h0 + h1)}, out.get("y").f32(), 1e-5f);
    }

    @Test
    void ropeNormalAndNeoxRotateTheRightPairs() {
        for (String mode : List.of("normal", "neox")) {
            GraphBuilder b = new GraphBuilder("t");
            Node x = b.input("x", TensorType.of(DType.F32, 1, 1, 4));
            Node pos = b.input("pos", TensorType.of(DType.I32, 1));
            b.output("y", b.rope(x, pos, mode, 4, 100.0, 1.0));
            var out = run(b, Map.of(), Map.of("x", Value.ofF32(new long[] {1, 1, 4}, new float[] {1, 2, 3, 4}), "pos", Value.ofI32(new long[] {1}, new int[] {2})), Map.of());
            // theta_i = pos * 100^(-2i/4): theta_0 = 2, theta_1 = 0.2
            double c0 = Math.cos(2), s0 = Math.sin(2), c1 = Math.cos(0.2), s1 = Math.sin(0.2);
            float[] want = mode.equals("normal")
                    ? new float[] {(float) (1 * c0 - 2 * s0), (float) (1 * s0 + 2 * c0), (float) (3 * c1 - 4 * s1), (float) (3 * s1 + 4 * c1)}
                    : new float[] {(float) (1 * c0 - 3 * s0), (float) (2 * c1 - 4 * s1), (float) (1 * s0 + 3 * c0), (float) (2 * s1 + 4 * c1)};
            assertArrayEquals(want, out.get("y").f32(), 1e-5f, mode);
        }
    }

    /** rope_freqs: pair i turns by theta_i / ff[i]; a factor of 1e30 leaves its pair where it is (Gemma 4's partial RoPE). */
    @Test
    void ropeFreqFactorsDivideEachPairsAngle() {
        GraphBuilder b = new GraphBuilder("t");
        Node x = b.input("x", TensorType.of(DType.F32, 1, 1, 4));
        Node pos = b.input("pos", TensorType.of(DType.I32, 1));
        Node ff = b.input("ff", TensorType.of(DType.F32, 2));
        b.output("y", b.rope(x, pos, "neox", 4, 100.0, 0.5, ff));
        var out = run(b, Map.of(), Map.of("x", Value.ofF32(new long[] {1, 1, 4}, new float[] {1, 2, 3, 4}), "pos", Value.ofI32(new long[] {1}, new int[] {2}),
                "ff", Value.ofF32(new long[] {2}, new float[] {4f, 1e30f})), Map.of());
        // theta_0 = 0.5 * (2 / 4) = 0.25 on (x0, x2); theta_1 = 0.5 * (2 * 0.1 / 1e30) ~ 0: (x1, x3) unchanged
        double c0 = Math.cos(0.25), s0 = Math.sin(0.25);
        assertArrayEquals(new float[] {(float) (1 * c0 - 3 * s0), 2, (float) (1 * s0 + 3 * c0), 4}, out.get("y").f32(), 1e-6f);
    }

    @Test
    void causalAttentionWithGqaOverTheCache() {
        // 2 query heads share 1 kv head, Dh = 1; two tokens at positions 0 and 1
        GraphBuilder b = new GraphBuilder("t");
        Node q = b.input("q", TensorType.of(DType.F32, "T", 2, 1));
        Node k = b.input("k", TensorType.of(DType.F32, "T", 1, 1));
        Node v = b.input("v", TensorType.of(DType.F32, "T", 1, 1));
        Node pos = b.input("pos", TensorType.of(DType.I32, "T"));
        TensorType cache = TensorType.of(DType.F32, 4, 1, 1);
        Node kc = b.kvWrite(b.state("k", cache), k, pos);
        Node vc = b.kvWrite(b.state("v", cache), v, pos);
        Node s = b.attnScores(q, b.kvRead(kc, ggufc.ir.Dim.sym("L")), 0.5);
        Node o = b.attnValues(b.softmax(b.causalMask(s, pos)), b.kvRead(vc, ggufc.ir.Dim.sym("L")));
        b.output("o", o).output("k", kc).output("v", vc);
        Map<String, Value> in = new HashMap<>();
        in.put("q", Value.ofF32(new long[] {2, 2, 1}, new float[] {1, 2, 3, -1}));
        in.put("k", Value.ofF32(new long[] {2, 1, 1}, new float[] {2, 4}));
        in.put("v", Value.ofF32(new long[] {2, 1, 1}, new float[] {10, 20}));
        in.put("pos", Value.ofI32(new long[] {2}, new int[] {0, 1}));
        Interpreter it = new Interpreter(b.build(), n -> null);
        float[] o1 = it.run(in, Map.of("T", 2L, "L", 2L)).get("o").f32();
        // token 0 sees only key 0: output 10 for both heads
        // token 1, head 0: scores 0.5*[3*2, 3*4] = [3, 6]; head 1: 0.5*[-2, -4] = [-1, -2]
        double p0 = 1 / (1 + Math.exp(3)), p1 = 1 / (1 + Math.exp(-1));
        float[] want = {10, 10, (float) (p0 * 10 + (1 - p0) * 20), (float) (p1 * 10 + (1 - p1) * 20)};
        assertArrayEquals(want, o1, 1e-4f);
        // the cache persisted: a third token at position 2 attends to all three keys
        in.put("q", Value.ofF32(new long[] {1, 2, 1}, new float[] {0, 0}));
        in.put("k", Value.ofF32(new long[] {1, 1, 1}, new float[] {9}));
        in.put("v", Value.ofF32(new long[] {1, 1, 1}, new float[] {30}));
        in.put("pos", Value.ofI32(new long[] {1}, new int[] {2}));
        float[] o2 = it.run(in, Map.of("T", 1L, "L", 3L)).get("o").f32();
        assertArrayEquals(new float[] {20, 20}, o2, 1e-4f); // zero query: uniform over 10, 20, 30
    }

    @Test
    void fusedOpsEqualTheirCompositions() {
        GraphBuilder b = new GraphBuilder("t");
        Node x = b.input("x", TensorType.of(DType.F32, 2, 4));
        Node nw = b.param("nw", TensorType.of(DType.F32, 4));
        Node wg = b.param("wg", TensorType.of(DType.F32, 3, 4));
        Node wu = b.param("wu", TensorType.of(DType.F32, 3, 4));
        Node h = b.rmsNorm(x, nw, 1e-5);
        b.output("ref", b.mul(b.silu(b.matmul(h, wg)), b.matmul(h, wu)));
        b.output("fused", b.add(ggufc.ir.OpKind.NORM_GLU_MATMUL, ggufc.ir.Attrs.of("eps", 1e-5, "act", "silu"), x, nw, wg, wu));
        Node both = b.add(ggufc.ir.OpKind.NORM_MATMUL, ggufc.ir.Attrs.of("eps", 1e-5), x, nw, wg, wu);
        b.output("g", b.add(ggufc.ir.OpKind.SPLIT, ggufc.ir.Attrs.of("offset", 0, "size", 3), both));
        b.output("gref", b.matmul(h, wg));
        float[] r = new float[12];
        for (int i = 0; i < 12; i++) r[i] = (i * 7 % 5) - 2;
        var out = run(b, Map.of("nw", f32(new long[] {4}, 1, 2, 3, 4), "wg", f32(new long[] {3, 4}, r), "wu", f32(new long[] {3, 4}, r.clone())),
                Map.of("x", Value.ofF32(new long[] {2, 4}, new float[] {1, -1, 2, 0.5f, 3, 1, -2, 1})), Map.of());
        assertArrayEquals(out.get("ref").f32(), out.get("fused").f32(), EPS);
        assertArrayEquals(out.get("gref").f32(), out.get("g").f32(), EPS);
        assertEquals(6, out.get("fused").f32().length);
        assertArrayEquals(new long[] {2, 3}, out.get("g").shape());
    }

    /** A Q8_0 block as llama.cpp's quantize_row_q8_0_ref makes it: d = amax/127 stored as f16, q = round(x/d). */
    static MemorySegment q8_0Block(float[] x) {
        float amax = 0;
        for (float v : x) amax = Math.max(amax, Math.abs(v));
        float d = amax / 127, id = d != 0 ? 1 / d : 0;
        MemorySegment s = Arena.ofAuto().allocate(34, 2);
        s.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, Float.floatToFloat16(d));
        for (int i = 0; i < 32; i++) s.set(ValueLayout.JAVA_BYTE, 2 + i, (byte) Math.round(x[i] * id));
        return s;
    }

    /** The dot product llama.cpp's vec_dot_q8_0_q8_0 computes: d_w * d_x * sum(q_w * q_x). */
    static double q8Dot(MemorySegment w, MemorySegment x) {
        long acc = 0;
        for (int i = 0; i < 32; i++) acc += (long) w.get(ValueLayout.JAVA_BYTE, 2 + i) * x.get(ValueLayout.JAVA_BYTE, 2 + i);
        return (double) Float.float16ToFloat(w.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0)) * Float.float16ToFloat(x.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0)) * acc;
    }

    @Test
    void actQuantRoundsActivationsAsLlamaCppBeforeTheDotProduct() {
        float[] x = new float[32], wv = new float[32];
        for (int i = 0; i < 32; i++) {
            x[i] = (float) Math.sin(i * 0.7) * (i + 1) / 7f;
            wv[i] = (float) Math.cos(i * 1.3) / 3f;
        }
        MemorySegment wBlock = q8_0Block(wv);
        double expected = q8Dot(wBlock, q8_0Block(x));
        for (boolean actQuant : new boolean[] {false, true}) {
            GraphBuilder b = new GraphBuilder("t");
            Node xi = b.input("x", TensorType.of(DType.F32, 1, 32));
            Node w = b.param("w", TensorType.of(DType.Q8_0, 1, 32));
            b.output("y", b.add(ggufc.ir.OpKind.MATMUL, actQuant ? ggufc.ir.Attrs.of("act_quant", true) : ggufc.ir.Attrs.EMPTY, xi, w));
            float y = run(b, Map.of("w", new TensorData(DType.Q8_0, new long[] {1, 32}, wBlock)), Map.of("x", Value.ofF32(new long[] {1, 32}, x)), Map.of()).get("y").f32()[0];
            double f32Activations = 0;
            float d = Float.float16ToFloat(wBlock.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0));
            for (int i = 0; i < 32; i++) f32Activations += (double) x[i] * (d * wBlock.get(ValueLayout.JAVA_BYTE, 2 + i));
            // the two numerics really differ on this input, and each flag gives its own
            assertEquals(true, Math.abs(expected - f32Activations) > 1e-4, "the test input must tell the two apart");
            assertEquals(actQuant ? expected : f32Activations, y, 1e-6);
        }
    }

    @Test
    void actQuantOnFusedOpsEqualsTheExplicitComposition() {
        // norm_matmul{act_quant}(x, nw, w_q8_0, w_f16) == concat(matmul(quantize(rms_norm(x)){q8_0}, w_q8_0), matmul(quantize(rms_norm(x)){f16}, w_f16))
        float[] xv = new float[2 * 32];
        for (int i = 0; i < xv.length; i++) xv[i] = (float) Math.sin(i * 0.37) * 3;
        float[] wq = new float[4 * 32], wh = new float[2 * 32], nw = new float[32];
        for (int i = 0; i < wq.length; i++) wq[i] = (float) Math.cos(i * 0.11);
        for (int i = 0; i < wh.length; i++) wh[i] = (float) Math.sin(i * 0.23);
        for (int i = 0; i < 32; i++) nw[i] = 0.5f + i / 64f;
        MemorySegment wqs = Arena.ofAuto().allocate(4 * 34, 2), whs = Arena.ofAuto().allocate(2 * 32 * 2, 2);
        ggufc.ir.quant.BlockCodecs.quantize(DType.Q8_0, wq, 0, wq.length, wqs, 0);
        ggufc.ir.quant.BlockCodecs.quantize(DType.F16, wh, 0, wh.length, whs, 0);
        Map<String, TensorData> params = Map.of("nw", f32(new long[] {32}, nw), "wq", new TensorData(DType.Q8_0, new long[] {4, 32}, wqs),
                "wh", new TensorData(DType.F16, new long[] {2, 32}, whs));
        Map<String, Value> in = Map.of("x", Value.ofF32(new long[] {2, 32}, xv));

        GraphBuilder fused = new GraphBuilder("t");
        Node x = fused.input("x", TensorType.of(DType.F32, 2, 32));
        fused.output("y", fused.add(ggufc.ir.OpKind.NORM_MATMUL, ggufc.ir.Attrs.of("eps", 1e-5, "act_quant", true), x,
                fused.param("nw", TensorType.of(DType.F32, 32)), fused.param("wq", TensorType.of(DType.Q8_0, 4, 32)), fused.param("wh", TensorType.of(DType.F16, 2, 32))));
        float[] y = run(fused, params, in, Map.of()).get("y").f32();

        GraphBuilder plain = new GraphBuilder("t");
        Node px = plain.input("x", TensorType.of(DType.F32, 2, 32));
        Node h = plain.rmsNorm(px, plain.param("nw", TensorType.of(DType.F32, 32)), 1e-5);
        plain.output("a", plain.matmul(plain.quantize(h, DType.Q8_0), plain.param("wq", TensorType.of(DType.Q8_0, 4, 32))));
        plain.output("b", plain.matmul(plain.quantize(h, DType.F16), plain.param("wh", TensorType.of(DType.F16, 2, 32))));
        var out = run(plain, params, in, Map.of());
        float[] a = out.get("a").f32(), c = out.get("b").f32();
        for (int t = 0; t < 2; t++) {
            for (int j = 0; j < 4; j++) assertEquals(a[t * 4 + j], y[t * 6 + j], 0f);
            for (int j = 0; j < 2; j++) assertEquals(c[t * 2 + j], y[t * 6 + 4 + j], 0f);
        }
    }

    @Test
    void aCacheWriteThatIsNotWrittenBackLeavesTheStateAlone() {
        GraphBuilder b = new GraphBuilder("t");
        Node x = b.input("x", TensorType.of(DType.F32, 1, 1, 2));
        Node pos = b.input("pos", TensorType.of(DType.I32, 1));
        Node cache = b.state("c", TensorType.of(DType.F32, 2, 1, 2));
        b.output("y", b.kvRead(b.kvWrite(cache, x, pos), ggufc.ir.Dim.of(2)));
        Interpreter it = new Interpreter(b.build(), n -> null);
        Map<String, Value> in1 = Map.of("x", Value.ofF32(new long[] {1, 1, 2}, new float[] {1, 2}), "pos", Value.ofI32(new long[] {1}, new int[] {0}));
        assertArrayEquals(new float[] {1, 2, 0, 0}, it.run(in1, Map.of()).get("y").f32());
        // no output named "c": the state stays zeros, so the second step sees only its own row
        Map<String, Value> in2 = Map.of("x", Value.ofF32(new long[] {1, 1, 2}, new float[] {3, 4}), "pos", Value.ofI32(new long[] {1}, new int[] {1}));
        assertArrayEquals(new float[] {0, 0, 3, 4}, it.run(in2, Map.of()).get("y").f32());
    }

    @Test
    void softcapIsCapTimesTanhOfXOverCap() {
        GraphBuilder b = new GraphBuilder("t");
        Node x = b.input("x", TensorType.of(DType.F32, 5));
        b.output("y", b.softcap(x, 5.0));
        float[] xs = {-100f, -5f, 0f, 2.5f, 30f};
        var out = run(b, Map.of(), Map.of("x", Value.ofF32(new long[] {5}, xs)), Map.of());
        float[] want = new float[xs.length];
        for (int i = 0; i < xs.length; i++) want[i] = (float) (5.0 * Math.tanh(xs[i] / 5.0));
        assertArrayEquals(want, out.get("y").f32(), 1e-5f);
    }

    @Test
    void softcappedAttentionCapsScoresBeforeTheMaskAndSoftmax() {
        // 1 head, Dh = 1, two keys; query at position 1 sees both: scores 2 * 3 = 6 and 2 * -1 = -2, capped at 2
        GraphBuilder b = new GraphBuilder("t");
        Node q = b.input("q", TensorType.of(DType.F32, 1, 1, 1));
        Node k = b.input("k", TensorType.of(DType.F32, 2, 1, 1));
        Node v = b.input("v", TensorType.of(DType.F32, 2, 1, 1));
        Node pos = b.input("pos", TensorType.of(DType.I32, 1));
        b.output("y", b.attention(q, k, v, pos, 1.0, 0, 2.0));
        var out = run(b, Map.of(), Map.of("q", Value.ofF32(new long[] {1, 1, 1}, new float[] {2}), "k", Value.ofF32(new long[] {2, 1, 1}, new float[] {3, -1}),
                "v", Value.ofF32(new long[] {2, 1, 1}, new float[] {10, 20}), "pos", Value.ofI32(new long[] {1}, new int[] {1})), Map.of());
        double s0 = 2 * Math.tanh(6 / 2.0), s1 = 2 * Math.tanh(-2 / 2.0);
        double p0 = Math.exp(s0) / (Math.exp(s0) + Math.exp(s1));
        assertEquals((float) (10 * p0 + 20 * (1 - p0)), out.get("y").f32()[0], 1e-4f);
    }

    @Test
    void topkPicksTheLargestFirstAndTiesByLowerIndex() {
        GraphBuilder b = new GraphBuilder("t");
        Node x = b.input("x", TensorType.of(DType.F32, 2, 5));
        b.output("i", b.topk(x, 3));
        b.output("v", b.takeAlong(x, b.topk(x, 3)));
        // row 0: 3 is largest (index 1), then two 2s (indices 2 and 4: lower first); row 1: -1 at 0, then -2 at 3, then -5 at 1 and 2 -> 1
        var out = run(b, Map.of(), Map.of("x", Value.ofF32(new long[] {2, 5}, new float[] {1, 3, 2, 0, 2, -1, -5, -5, -2, -9})), Map.of());
        assertArrayEquals(new int[] {1, 2, 4, 0, 3, 1}, out.get("i").i32());
        assertArrayEquals(new float[] {3, 2, 2, -1, -2, -5}, out.get("v").f32());
    }

    @Test
    void sumNormalizeDividesBySumClampedBelow() {
        GraphBuilder b = new GraphBuilder("t");
        Node x = b.input("x", TensorType.of(DType.F32, 2, 2));
        b.output("y", b.sumNormalize(x, 0.5));
        // row 0 sums to 4: [0.25, 0.75]; row 1 sums to 0.2 < 0.5: divided by 0.5
        var out = run(b, Map.of(), Map.of("x", Value.ofF32(new long[] {2, 2}, new float[] {1, 3, 0.1f, 0.1f})), Map.of());
        assertArrayEquals(new float[] {0.25f, 0.75f, 0.2f, 0.2f}, out.get("y").f32(), EPS);
    }

    @Test
    void matmulIdUsesEachSlotsExpertAndWeightedSumAddsInOrder() {
        // 2 experts of [M = 2, N = 2]: expert 0 = identity, expert 1 = [[0, 2], [1, 1]]
        GraphBuilder b = new GraphBuilder("t");
        Node x = b.input("x", TensorType.of(DType.F32, 2, 2));
        Node ids = b.input("ids", TensorType.of(DType.I32, 2, 2));
        Node wts = b.input("w", TensorType.of(DType.F32, 2, 2));
        Node w = b.param("w_exps", TensorType.of(DType.F32, 2, 2, 2));
        Node s = b.param("s", TensorType.of(DType.F32, 2));
        Node y = b.matmulId(x, w, ids);
        b.output("y", y);
        b.output("y3", b.matmulId(y, w, ids));
        b.output("ys", b.matmulId(x, w, ids, s));
        b.output("sum", b.weightedSum(y, wts));
        Map<String, TensorData> params = Map.of("w_exps", f32(new long[] {2, 2, 2}, 1, 0, 0, 1, 0, 2, 1, 1), "s", f32(new long[] {2}, 10, -1));
        // token 0 = [1, 2] through experts (1, 0); token 1 = [3, -1] through experts (1, 1)
        var out = run(b, params, Map.of("x", Value.ofF32(new long[] {2, 2}, new float[] {1, 2, 3, -1}),
                "ids", Value.ofI32(new long[] {2, 2}, new int[] {1, 0, 1, 1}), "w", Value.ofF32(new long[] {2, 2}, new float[] {0.5f, 0.25f, 2, -1})), Map.of());
        // expert 1 . [1, 2] = [4, 3]; expert 0 . [1, 2] = [1, 2]; expert 1 . [3, -1] = [-2, 2] twice
        assertArrayEquals(new float[] {4, 3, 1, 2, -2, 2, -2, 2}, out.get("y").f32());
        assertArrayEquals(new long[] {2, 2, 2}, out.get("y").shape());
        // rank 3: each slot reads its own row: expert 1 . [4, 3] = [6, 7]; expert 0 . [1, 2] = [1, 2]; expert 1 . [-2, 2] = [4, 0] twice
        assertArrayEquals(new float[] {6, 7, 1, 2, 4, 0, 4, 0}, out.get("y3").f32());
        // per-expert scale: expert 1 times -1, expert 0 times 10
        assertArrayEquals(new float[] {-4, -3, 10, 20, 2, -2, 2, -2}, out.get("ys").f32());
        // token 0: 0.5 [4, 3] + 0.25 [1, 2] = [2.25, 2]; token 1: 2 [-2, 2] - 1 [-2, 2] = [-2, 2]
        assertArrayEquals(new float[] {2.25f, 2, -2, 2}, out.get("sum").f32());
    }

    @Test
    void matmulIdRefusesAnExpertIdOutOfRange() {
        GraphBuilder b = new GraphBuilder("t");
        Node x = b.input("x", TensorType.of(DType.F32, 1, 2));
        Node ids = b.input("ids", TensorType.of(DType.I32, 1, 1));
        b.output("y", b.matmulId(x, b.param("w", TensorType.of(DType.F32, 2, 2, 2)), ids));
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> run(b, Map.of("w", f32(new long[] {2, 2, 2}, 1, 0, 0, 1, 0, 2, 1, 1)),
                Map.of("x", Value.ofF32(new long[] {1, 2}, new float[] {1, 2}), "ids", Value.ofI32(new long[] {1, 1}, new int[] {2})), Map.of()));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("expert id 2 outside the 2 experts"), e.getMessage());
    }
}
