package ggufc.runtime.device;

import static ggufc.runtime.device.GpuOracle.normal;
import static ggufc.runtime.device.GpuOracle.positions;

import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.ir.GraphBuilder;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.Attrs;
import ggufc.ir.TensorData;
import ggufc.ir.TensorType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.constraints.IntRange;

/**
 * Every kernel family on PoCL against the reference interpreter, on random shapes and data: each
 * property builds the graph pattern the family implements, lowers it, runs it on the OpenCL device
 * and compares all outputs (NMSE, as llama.cpp's test-backend-ops). Few tries each: every new
 * shape is a new OpenCL program for PoCL to compile.
 */
class KernelFamilyProperties {
    /**
     * Normalized MSE bound: llama.cpp's test-backend-ops' 1e-7. f32 sums against the interpreter's
     * double sums stay near 1e-12, but cancelling sums reach further: the K-quant dot
     * (d*sc*sum(q*x) - dmin*m*sum(x), as ggml computes it) ~2e-10 on SwiGLU outputs, and a Q8_0 matvec
     * with small outputs was seen at 1.07e-9. A wrong nibble or scale gives 1e-3 and more.
     */
    static final double NMSE = 1e-7;
    static final DType[] WEIGHT_TYPES = {DType.F32, DType.F16, DType.Q8_0, DType.Q4_0, DType.Q5_0, DType.Q4_K, DType.Q6_K};

    @Provide
    Arbitrary<DType> weightTypes() { return Arbitraries.of(WEIGHT_TYPES); }

    static int rowLength(DType t, int pick) {
        if (t.blockSize() == 1) return 1 + pick % 200;
        return t.blockSize() * (1 + pick % (t.blockSize() == 256 ? 2 : 6));
    }

    static Node weightOf(GraphBuilder b, String name, DType t, int rows, int k, Map<String, TensorData> params, Random r) {
        params.put(name, GpuOracle.weight(r, t, rows, k));
        Node p = b.param(name, TensorType.of(t, rows, k));
        return t == DType.F32 ? p : b.dequant(p);
    }

    /** Row lengths per weight type in one try: whole blocks, and any length for plain floats. */
    record RowLengths(int k32, int k256, int kAny) {
        int of(DType t) { return t.blockSize() == 256 ? k256 : t.blockSize() == 32 ? k32 : kAny; }
    }

    @Provide
    static Arbitrary<RowLengths> rowLengths() {
        return net.jqwik.api.Combinators.combine(Arbitraries.integers().between(1, 6), Arbitraries.integers().between(1, 2), Arbitraries.integers().between(1, 200))
                .as((a, b, c) -> new RowLengths(32 * a, 256 * b, c));
    }

    /** Every weight format with every epilogue (plain, residual, SwiGLU, GeGLU) in one program per try. */
    @Property(tries = 6, shrinking = ShrinkingMode.OFF)
    void matvecAllFormatsAndEpilogues(@ForAll("rowLengths") RowLengths ks, @ForAll @IntRange(min = 1, max = 40) int n,
                                      @ForAll @IntRange(min = 1, max = 3) int tokens, @ForAll long seed) {
        matvecCase(OpenClDevice.Source.OPENCL_C, ks, n, tokens, seed);
    }

    static void matvecCase(OpenClDevice.Source source, RowLengths ks, int n, int tokens, long seed) {
        Random r = new Random(seed);
        GraphBuilder b = new GraphBuilder("matvec");
        Map<String, TensorData> params = new HashMap<>();
        Map<String, float[]> floats = new HashMap<>();
        Map<Integer, Node> xs = new HashMap<>();
        Node res = b.input("r", TensorType.of(DType.F32, "T", n));
        floats.put("r", normal(r, tokens * n, 1));
        for (DType t : WEIGHT_TYPES) {
            int k = ks.of(t);
            Node x = xs.computeIfAbsent(k, kk -> {
                // activations of scale 1/sqrt(k), so the products are O(1) as a model's pre-activations
                // are: with unit activations a gate reaches |g| ~ 12, where GELU's 1 + tanh(...) cancels
                // to a few float ulps and the output is rounding noise on both sides (OpenCL's tanh may
                // be off by ulps there), which NMSE against a near-zero output cannot judge
                floats.put("x" + kk, normal(r, tokens * kk, 1 / Math.sqrt(kk)));
                return b.input("x" + kk, TensorType.of(DType.F32, "T", kk));
            });
            String id = t.irName();
            b.output(id, b.matmul(x, weightOf(b, id + ".w", t, n, k, params, r)));
            // two more products of the same activation and format: one multi-output launch with the first (as q, k, v)
            b.output(id + ".b", b.matmul(x, weightOf(b, id + ".wb", t, n + 3, k, params, r)));
            b.output(id + ".c", b.matmul(x, weightOf(b, id + ".wc", t, 1, k, params, r)));
            b.output(id + ".res", b.addOp(res, b.matmul(x, weightOf(b, id + ".wr", t, n, k, params, r))));
            Node g = weightOf(b, id + ".wg", t, n, k, params, r), u = weightOf(b, id + ".wu", t, n, k, params, r);
            b.output(id + ".swiglu", b.mul(b.silu(b.matmul(x, g)), b.matmul(x, u)));
            b.output(id + ".geglu", b.mul(b.gelu(b.matmul(x, g)), b.matmul(x, u)));
        }
        GpuOracle.check(b.build(), params, 8, NMSE, List.of(new GpuOracle.Step(Map.of(), floats, tokens, tokens)));
    }

    /**
     * The mixture-of-experts chain (llama.cpp's build_moe_ffn): top-k of router logits, the gathered
     * softmax weights renormalized, SwiGLU experts through matmul_id (x per token for gate/up, per
     * slot for down, a per-expert scale on down) and the weighted sum; every weight format, and Q8_0
     * activations for the formats that take them. The selection is made on the logits themselves
     * (softmax is monotonic), so ulp-level differences in the probabilities cannot pick other experts.
     */
    @Property(tries = 4, shrinking = ShrinkingMode.OFF)
    void mixtureOfExperts(@ForAll("rowLengths") RowLengths ks, @ForAll @IntRange(min = 1, max = 9) int experts, @ForAll @IntRange(min = 1, max = 9) int used,
                          @ForAll @IntRange(min = 1, max = 4) int tokens, @ForAll long seed) {
        moeCase(OpenClDevice.Source.OPENCL_C, ks, experts, Math.min(used, experts), tokens, seed);
    }

    static void moeCase(OpenClDevice.Source source, RowLengths ks, int experts, int used, int tokens, long seed) {
        Random r = new Random(seed);
        GraphBuilder b = new GraphBuilder("moe");
        Map<String, TensorData> params = new HashMap<>();
        Map<String, float[]> floats = new HashMap<>();
        Node logits = b.input("logits", TensorType.of(DType.F32, "T", experts));
        floats.put("logits", normal(r, tokens * experts, 1));
        Node ids = b.topk(logits, used);
        b.output("picked", b.takeAlong(logits, ids));
        Node w = b.sumNormalize(b.takeAlong(b.softmax(logits), ids), 6.103515625e-5);
        b.output("weights", w);
        params.put("scale", GpuOracle.weight(r, DType.F32, 1, experts));
        params.put("scale", new TensorData(DType.F32, new long[] {experts}, params.get("scale").bytes()));
        Node scale = b.param("scale", TensorType.of(DType.F32, experts));
        for (DType t : WEIGHT_TYPES) {
            int k = ks.of(t), m = ks.of(t);
            String id = t.irName();
            Node x = b.input("x." + id, TensorType.of(DType.F32, "T", k));
            floats.put("x." + id, normal(r, tokens * k, 1 / Math.sqrt(k)));
            Node g = expertsOf(b, id + ".g", t, experts, m, k, params, r), u = expertsOf(b, id + ".u", t, experts, m, k, params, r);
            Node d = expertsOf(b, id + ".d", t, experts, k, m, params, r);
            Node h = b.mul(b.silu(b.matmulId(x, g, ids)), b.matmulId(x, u, ids));
            b.output(id + ".moe", b.weightedSum(b.matmulId(h, d, ids), w));
            b.output(id + ".scaled", b.matmulId(h, d, ids, scale));
            if (ggufc.ir.TypeRules.activationTypeFor(t) == DType.Q8_0) {
                b.output(id + ".q8act", b.matmulId(b.quantize(x, DType.Q8_0), g, ids));
                b.output(id + ".q8act_slots", b.matmulId(b.quantize(h, DType.Q8_0), d, ids));
            }
        }
        GpuOracle.check(source, b.build(), params, 8, NMSE, List.of(new GpuOracle.Step(Map.of(), floats, tokens, tokens)));
    }

    /** A stacked expert weight [E, M, K] of random values in dtype {@code t} (behind a dequant unless f32). */
    static Node expertsOf(GraphBuilder b, String name, DType t, int e, int m, int k, Map<String, TensorData> params, Random r) {
        TensorData d = GpuOracle.weight(r, t, e * m, k);
        params.put(name, new TensorData(t, new long[] {e, m, k}, d.bytes()));
        Node p = b.param(name, TensorType.of(t, e, m, k));
        return t == DType.F32 ? p : b.dequant(p);
    }

    /**
     * llama.cpp's activation types: quantize to Q8_0 (bit-exact with ggml's reference quantizer:
     * the dequantized blocks must be identical) and to f16, and matmuls of Q8_0 activations with
     * Q8_0/Q4_0/Q5_0 weights as integer block dot products (plain, residual, SwiGLU).
     */
    @Property(tries = 4, shrinking = ShrinkingMode.OFF)
    void quantizedActivations(@ForAll @IntRange(min = 1, max = 6) int blocks, @ForAll @IntRange(min = 1, max = 30) int n, @ForAll @IntRange(min = 1, max = 3) int tokens,
                              @ForAll long seed) {
        quantizedActivationsCase(OpenClDevice.Source.OPENCL_C, blocks, n, tokens, seed);
    }

    static void quantizedActivationsCase(OpenClDevice.Source source, int blocks, int n, int tokens, long seed) {
        Random r = new Random(seed);
        int k = 32 * blocks;
        float[] xs = normal(r, tokens * k, 1);
        GraphBuilder exact = new GraphBuilder("quantize");
        Node x0 = exact.input("x", TensorType.of(DType.F32, "T", k));
        exact.output("q8_0", exact.dequant(exact.quantize(x0, DType.Q8_0)));
        exact.output("f16", exact.dequant(exact.quantize(x0, DType.F16)));
        GpuOracle.check(source, exact.build(), Map.of(), 8, 0.0, List.of(new GpuOracle.Step(Map.of(), Map.of("x", xs), tokens, tokens)));

        GraphBuilder b = new GraphBuilder("q8act");
        Map<String, TensorData> params = new HashMap<>();
        Node x = b.input("x", TensorType.of(DType.F32, "T", k));
        Node res = b.input("r", TensorType.of(DType.F32, "T", n));
        Node xq = b.quantize(x, DType.Q8_0);
        for (DType t : new DType[] {DType.Q8_0, DType.Q4_0, DType.Q5_0}) {
            String id = t.irName();
            b.output(id, b.matmul(xq, weightOf(b, id + ".w", t, n, k, params, r)));
            b.output(id + ".res", b.addOp(res, b.matmul(xq, weightOf(b, id + ".wr", t, n, k, params, r))));
            b.output(id + ".swiglu", b.mul(b.silu(b.matmul(xq, weightOf(b, id + ".wg", t, n, k, params, r))), b.matmul(xq, weightOf(b, id + ".wu", t, n, k, params, r))));
        }
        b.output("f16act", b.matmul(b.dequant(b.quantize(x, DType.F16)), weightOf(b, "f16.w", DType.F16, n, k, params, r)));
        GpuOracle.check(source, b.build(), params, 8, NMSE, List.of(new GpuOracle.Step(Map.of(), Map.of("x", xs, "r", normal(r, tokens * n, 1)), tokens, tokens)));
    }

    @Property(tries = 4, shrinking = ShrinkingMode.OFF)
    void embedAllFormats(@ForAll("rowLengths") RowLengths ks, @ForAll @IntRange(min = 1, max = 12) int vocab, @ForAll @IntRange(min = 1, max = 5) int tokens, @ForAll long seed) {
        Random r = new Random(seed);
        GraphBuilder b = new GraphBuilder("embed");
        Map<String, TensorData> params = new HashMap<>();
        Node ids = b.input("ids", TensorType.of(DType.I32, "T"));
        for (DType t : WEIGHT_TYPES) b.output(t.irName(), b.embed(weightOf(b, t.irName(), t, vocab, ks.of(t), params, r), ids));
        int[] id = new int[tokens];
        for (int i = 0; i < tokens; i++) id[i] = r.nextInt(vocab);
        GpuOracle.check(b.build(), params, 8, NMSE, List.of(new GpuOracle.Step(Map.of("ids", id), Map.of(), tokens, tokens)));
    }

    @Property(tries = 5, shrinking = ShrinkingMode.OFF)
    void rmsNormSoftmaxAndElementwise(@ForAll @IntRange(min = 1, max = 300) int d, @ForAll @IntRange(min = 1, max = 4) int tokens, @ForAll long seed) {
        Random r = new Random(seed);
        GraphBuilder b = new GraphBuilder("rows");
        Map<String, TensorData> params = new HashMap<>();
        Node x = b.input("x", TensorType.of(DType.F32, "T", d));
        params.put("nw", new TensorData(DType.F32, new long[] {d}, GpuOracle.weight(r, DType.F32, 1, d).bytes()));
        Node nw = b.param("nw", TensorType.of(DType.F32, d));
        b.output("norm", b.rmsNorm(x, nw, r.nextBoolean() ? 1e-5 : 1e-6));
        b.output("softmax", b.softmax(b.scale(x, 3.0)));
        b.output("silu", b.silu(x));
        b.output("gelu", b.gelu(x));
        b.output("add_bcast", b.addOp(x, nw));
        b.output("mul_bcast", b.mul(x, nw));
        GpuOracle.check(b.build(), params, 8, NMSE, List.of(new GpuOracle.Step(Map.of(), Map.of("x", normal(r, tokens * d, 2)), tokens, tokens)));
    }

    /** qwen3's q/k norm: RMS norm of each head of x[T, H, Dh] with one [Dh] weight, then a bias-style broadcast add of a [H*Dh] param. */
    @Property(tries = 4, shrinking = ShrinkingMode.OFF)
    void perHeadRmsNormAndBiasAdd(@ForAll @IntRange(min = 1, max = 4) int heads, @ForAll @IntRange(min = 1, max = 80) int dh, @ForAll @IntRange(min = 1, max = 4) int tokens,
                                  @ForAll long seed) {
        Random r = new Random(seed);
        GraphBuilder b = new GraphBuilder("heads");
        Map<String, TensorData> params = new HashMap<>();
        Node x = b.input("x", TensorType.of(DType.F32, "T", heads * dh));
        params.put("hw", new TensorData(DType.F32, new long[] {dh}, GpuOracle.weight(r, DType.F32, 1, dh).bytes()));
        params.put("bias", new TensorData(DType.F32, new long[] {heads * dh}, GpuOracle.weight(r, DType.F32, 1, heads * dh).bytes()));
        Node biased = b.addOp(x, b.param("bias", TensorType.of(DType.F32, heads * dh)));
        Node x3 = b.reshape(biased, ggufc.ir.Shape.of(ggufc.ir.Dim.sym("T"), heads, dh));
        b.output("head_norm", b.rmsNorm(x3, b.param("hw", TensorType.of(DType.F32, dh)), 1e-6));
        GpuOracle.check(b.build(), params, 8, NMSE, List.of(new GpuOracle.Step(Map.of(), Map.of("x", normal(r, tokens * heads * dh, 2)), tokens, tokens)));
    }

    @Property(tries = 6, shrinking = ShrinkingMode.OFF)
    void ropeAndKvWrite(@ForAll @IntRange(min = 1, max = 4) int heads, @ForAll @IntRange(min = 1, max = 8) int halfDh, @ForAll @IntRange(min = 1, max = 8) int rotPick,
                        @ForAll boolean neox, @ForAll boolean halfCache, @ForAll @IntRange(min = 1, max = 4) int tokens, @ForAll @IntRange(min = 0, max = 50) int start,
                        @ForAll boolean factors, @ForAll long seed) {
        Random r = new Random(seed);
        int dh = 2 * halfDh, nRot = 2 * (1 + (rotPick - 1) % halfDh), ctx = 64;
        double base = r.nextBoolean() ? 10000 : 500000, scale = r.nextBoolean() ? 1 : 0.25;
        String mode = neox ? "neox" : "normal";
        GraphBuilder b = new GraphBuilder("rope");
        Node x = b.input("x", TensorType.of(DType.F32, "T", heads, dh));
        Node pos = b.input("pos", TensorType.of(DType.I32, "T"));
        Map<String, TensorData> params = new HashMap<>();
        Node ff = null;
        if (factors) {
            // rope_freqs: divisors 1 .. 4, or 1e30 (the pair stays put, Gemma 4's partial RoPE)
            java.lang.foreign.MemorySegment seg = java.lang.foreign.Arena.ofAuto().allocate(4L * (nRot / 2));
            for (int i = 0; i < nRot / 2; i++) seg.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, r.nextInt(3) == 0 ? 1e30f : 1 + r.nextInt(4));
            params.put("ff", new TensorData(DType.F32, new long[] {nRot / 2}, seg));
            ff = b.param("ff", TensorType.of(DType.F32, nRot / 2));
        }
        b.output("roped", b.rope(x, pos, mode, nRot, base, scale, ff));
        Node cache = b.state("cache", TensorType.of(halfCache ? DType.F16 : DType.F32, ctx, heads, dh));
        b.output("cache", b.kvWrite(cache, b.rope(x, pos, mode, nRot, base, scale, ff), pos));
        Node plain = b.state("plain", TensorType.of(halfCache ? DType.F16 : DType.F32, ctx, heads, dh));
        b.output("plain", b.kvWrite(plain, x, pos));
        GpuOracle.check(b.build(), params, ctx, halfCache ? 1e-6 : NMSE,
                List.of(new GpuOracle.Step(Map.of("pos", positions(start, tokens)), Map.of("x", normal(r, tokens * heads * dh, 1)), tokens, start + tokens)));
    }

    /**
     * The lifted attention chain (scores, mask, softmax, values over the caches): a prompt step then
     * decode steps; with a sliding window (0: none; 1-20 keys, shorter and longer than the prompt and
     * than the prompt kernel's 16-query blocks); with soft-capped scores (0: none, 0.5, 3).
     */
    @Property(tries = 8, shrinking = ShrinkingMode.OFF)
    void attentionPromptThenDecode(@ForAll @IntRange(min = 1, max = 4) int kvHeads, @ForAll @IntRange(min = 1, max = 3) int group, @ForAll @IntRange(min = 1, max = 16) int dh,
                                   @ForAll @IntRange(min = 1, max = 40) int promptLen, @ForAll boolean halfCache, @ForAll boolean fusedOp,
                                   @ForAll @IntRange(min = 0, max = 20) int window, @ForAll @IntRange(min = 0, max = 2) int capIndex, @ForAll long seed) {
        attentionCase(OpenClDevice.Source.OPENCL_C, kvHeads, group, dh, promptLen, halfCache, fusedOp, window, CAPS[capIndex], seed);
    }

    /** Attention soft-capping values the properties draw from: none, one that bends unit-size scores hard, one that bends them a little. */
    static final double[] CAPS = {0, 0.5, 3};

    static void attentionCase(OpenClDevice.Source source, int kvHeads, int group, int dh, int promptLen, boolean halfCache, boolean fusedOp, long seed) {
        attentionCase(source, kvHeads, group, dh, promptLen, halfCache, fusedOp, 0, seed);
    }

    static void attentionCase(OpenClDevice.Source source, int kvHeads, int group, int dh, int promptLen, boolean halfCache, boolean fusedOp, int window, long seed) {
        attentionCase(source, kvHeads, group, dh, promptLen, halfCache, fusedOp, window, 0, seed);
    }

    /** With soft-capped scores ({@code softcap}: 0 none): the fused op's attribute, or a softcap node between the scores and the mask. */
    static void attentionCase(OpenClDevice.Source source, int kvHeads, int group, int dh, int promptLen, boolean halfCache, boolean fusedOp, int window, double softcap,
                              long seed) {
        Random r = new Random(seed);
        int h = kvHeads * group, ctx = 64;
        double scale = 1 / Math.sqrt(dh);
        GraphBuilder b = new GraphBuilder("attention");
        Node q = b.input("q", TensorType.of(DType.F32, "T", h, dh));
        Node k = b.input("k", TensorType.of(DType.F32, "T", kvHeads, dh));
        Node v = b.input("v", TensorType.of(DType.F32, "T", kvHeads, dh));
        Node pos = b.input("pos", TensorType.of(DType.I32, "T"));
        DType ct = halfCache ? DType.F16 : DType.F32;
        Node kc = b.kvWrite(b.state("kc", TensorType.of(ct, ctx, kvHeads, dh)), k, pos);
        Node vc = b.kvWrite(b.state("vc", TensorType.of(ct, ctx, kvHeads, dh)), v, pos);
        b.output("kc", kc);
        b.output("vc", vc);
        Node kr = b.kvRead(kc, ggufc.ir.Dim.sym("L")), vr = b.kvRead(vc, ggufc.ir.Dim.sym("L"));
        Node scores = fusedOp ? null : b.attnScores(q, kr, scale);
        if (scores != null && softcap > 0) scores = b.softcap(scores, softcap);
        Node out = fusedOp ? b.attention(q, kr, vr, pos, scale, window, softcap) : b.attnValues(b.softmax(b.causalMask(scores, pos, window)), vr);
        b.output("out", out);
        List<GpuOracle.Step> steps = new ArrayList<>();
        steps.add(attnStep(r, promptLen, 0, h, kvHeads, dh));
        for (int i = 0; i < 2; i++) steps.add(attnStep(r, 1, promptLen + i, h, kvHeads, dh));
        GpuOracle.check(source, b.build(), Map.of(), ctx, halfCache ? 1e-6 : NMSE, steps);
    }

    private static GpuOracle.Step attnStep(Random r, int t, int start, int h, int hkv, int dh) {
        return new GpuOracle.Step(Map.of("pos", positions(start, t)),
                Map.of("q", normal(r, t * h * dh, 1), "k", normal(r, t * hkv * dh, 1), "v", normal(r, t * hkv * dh, 1)), t, start + t);
    }

    /** Scores, mask and values as separate kernels: the pattern is broken by making the scores an output. */
    @Property(tries = 3, shrinking = ShrinkingMode.OFF)
    void unfusedAttentionPieces(@ForAll @IntRange(min = 1, max = 3) int kvHeads, @ForAll @IntRange(min = 1, max = 2) int group, @ForAll @IntRange(min = 1, max = 8) int dh,
                                @ForAll @IntRange(min = 1, max = 6) int t, @ForAll long seed) {
        Random r = new Random(seed);
        int h = kvHeads * group, ctx = 16;
        GraphBuilder b = new GraphBuilder("pieces");
        Node q = b.input("q", TensorType.of(DType.F32, "T", h, dh));
        Node k = b.input("k", TensorType.of(DType.F32, "T", kvHeads, dh));
        Node pos = b.input("pos", TensorType.of(DType.I32, "T"));
        Node kc = b.kvWrite(b.state("kc", TensorType.of(DType.F16, ctx, kvHeads, dh)), k, pos);
        b.output("kc", kc);
        Node kr = b.kvRead(kc, ggufc.ir.Dim.sym("L"));
        Node scores = b.attnScores(q, kr, 0.5);
        b.output("scores", scores);
        Node masked = b.causalMask(scores, pos);
        b.output("masked", masked);
        // the unfused mask kernel with a sliding window too
        b.output("windowed", b.causalMask(scores, pos, 1 + r.nextInt(4)));
        // the unfused soft-capping kernel (Gemma 2's scores and logits)
        b.output("capped", b.softcap(scores, 0.25 + r.nextInt(8)));
        b.output("out", b.attnValues(b.softmax(masked), kr));
        GpuOracle.check(b.build(), Map.of(), ctx, 1e-6, List.of(new GpuOracle.Step(Map.of("pos", positions(0, t)),
                Map.of("q", normal(r, t * h * dh, 1), "k", normal(r, t * kvHeads * dh, 1)), t, t)));
    }

    /** The fused ops of the passes (norm_matmul with several weights, glu_matmul, norm_glu_matmul, matmul_add, rope_kv_write, split, last_row, dequant). */
    @Property(tries = 4, shrinking = ShrinkingMode.OFF)
    void fusedOps(@ForAll("weightTypes") DType t, @ForAll @IntRange(min = 0, max = 999) int kPick, @ForAll @IntRange(min = 1, max = 3) int tokens, @ForAll long seed) {
        Random r = new Random(seed);
        int k = rowLength(t, kPick), n1 = 1 + r.nextInt(20), n2 = 1 + r.nextInt(20), f = 1 + r.nextInt(30);
        GraphBuilder b = new GraphBuilder("fused");
        Map<String, TensorData> params = new HashMap<>();
        Node x = b.input("x", TensorType.of(DType.F32, "T", k));
        params.put("nw", new TensorData(DType.F32, new long[] {k}, GpuOracle.weight(r, DType.F32, 1, k).bytes()));
        Node nw = b.param("nw", TensorType.of(DType.F32, k));
        Node w1 = weightOf(b, "w1", t, n1, k, params, r), w2 = weightOf(b, "w2", t, n2, k, params, r);
        Node nm = b.add(OpKind.NORM_MATMUL, Attrs.of("eps", 1e-5), x, nw, w1, w2);
        b.output("norm_matmul", nm);
        b.output("split", b.add(OpKind.SPLIT, Attrs.of("offset", (long) n1, "size", (long) n2), nm));
        Node wg = weightOf(b, "wg", t, f, k, params, r), wu = weightOf(b, "wu", t, f, k, params, r);
        b.output("glu", b.add(OpKind.GLU_MATMUL, Attrs.of("act", "silu"), x, wg, wu));
        b.output("norm_glu", b.add(OpKind.NORM_GLU_MATMUL, Attrs.of("eps", 1e-5, "act", "gelu"), x, nw, wg, wu));
        Node res = b.input("r", TensorType.of(DType.F32, "T", n1));
        b.output("matmul_add", b.add(OpKind.MATMUL_ADD, Attrs.EMPTY, x, w1, res));
        b.output("last_row", b.lastRow(x));
        if (t != DType.F32) b.output("dequant", b.dequant(b.graphParam("w1")));
        Node xr = b.input("xr", TensorType.of(DType.F32, "T", 2, 4));
        Node pos = b.input("pos", TensorType.of(DType.I32, "T"));
        b.output("cache", b.add(OpKind.ROPE_KV_WRITE, Attrs.of("mode", "neox", "n_rot", 4L, "freq_base", 10000.0, "freq_scale", 1.0),
                b.state("cache", TensorType.of(DType.F32, 8, 2, 4)), xr, pos));
        GpuOracle.check(b.build(), params, 8, NMSE, List.of(new GpuOracle.Step(Map.of("pos", positions(1, tokens)),
                Map.of("x", normal(r, tokens * k, 1), "r", normal(r, tokens * n1, 1), "xr", normal(r, tokens * 8, 1)), tokens, tokens + 1)));
    }

}
