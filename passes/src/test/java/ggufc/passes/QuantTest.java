package ggufc.passes;

import static ggufc.passes.Ir.assertIr;
import static ggufc.passes.Ir.print;
import static ggufc.passes.Ir.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.ir.GraphBuilder;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.TensorData;
import ggufc.ir.TensorType;
import ggufc.ir.TypeRules;
import ggufc.ir.interp.Interpreter;
import ggufc.ir.interp.Value;
import ggufc.ir.quant.BlockCodecs;
import ggufc.passes.check.Equivalence;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** fold-quant-dequant and quantize-activations. */
class QuantTest {
    static final Target INTERP = Targets.INTERP;

    static final String LIFTED = """
            graph @q {
              %0 = input "tokens" : tensor<Txi32>
              %1 = param "embd" : tensor<16x32xq4_0>
              %2 = dequant %1 : tensor<16x32xf32>
              %3 = embed %2, %0 : tensor<Tx32xf32>
              %4 = param "wq" : tensor<32x32xq5_0>
              %5 = dequant %4 : tensor<32x32xf32>
              %6 = matmul %3, %5 : tensor<Tx32xf32>
              %7 = matmul %6, %2 : tensor<Tx16xf32>
              return "logits" = %7
            }
            """;

    @Test
    void matmulsAndEmbeddingsReadStoredBlocks() {
        // the tied table is read by the embedding and the output matmul: both fold, its dequant dies
        assertIr("""
                graph @q {
                  %0 = input "tokens" : tensor<Txi32>
                  %1 = param "embd" : tensor<16x32xq4_0>
                  %2 = embed %1, %0 : tensor<Tx32xf32>
                  %3 = param "wq" : tensor<32x32xq5_0>
                  %4 = matmul %2, %3 : tensor<Tx32xf32>
                  %5 = matmul %4, %1 : tensor<Tx16xf32>
                  return "logits" = %5
                }
                """, run(LIFTED, INTERP, "fold-quant-dequant"));
    }

    @Test
    void onlyTheDtypesTheTargetReadsAreFolded() {
        // the GPU kernels read Q4_0 blocks but not Q5_0: its dequant stays
        Graph g = run(LIFTED, Targets.OPENCL, "fold-quant-dequant");
        assertEquals(1, g.nodes().stream().filter(n -> n.op() == OpKind.DEQUANT && n.input(0).dtype() == DType.Q5_0).count());
        assertEquals(0, g.nodes().stream().filter(n -> n.op() == OpKind.DEQUANT && n.input(0).dtype() == DType.Q4_0).count());
        Graph naive = Ir.parse(LIFTED);
        assertEquals(print(naive), print(run(naive, Targets.NAIVE, "fold-quant-dequant")));
    }

    @Test
    void halfRoundTripsAreRemovedBlockRoundTripsAreNot() {
        Graph g = run("""
                graph @r {
                  %0 = param "h" : tensor<4x32xf16>
                  %1 = dequant %0 : tensor<4x32xf32>
                  %2 = quantize %1 {to = "f16"} : tensor<4x32xf16>
                  %3 = param "b" : tensor<4x32xbf16>
                  %4 = dequant %3 : tensor<4x32xf32>
                  %5 = quantize %4 {to = "bf16"} : tensor<4x32xbf16>
                  %6 = param "q" : tensor<4x32xq8_0>
                  %7 = dequant %6 : tensor<4x32xf32>
                  %8 = quantize %7 {to = "q8_0"} : tensor<4x32xq8_0>
                  %9 = quantize %1 {to = "bf16"} : tensor<4x32xbf16>
                  return "h" = %2, "b" = %5, "q" = %8, "hb" = %9
                }
                """, INTERP, "fold-quant-dequant");
        assertIr("""
                graph @r {
                  %0 = param "h" : tensor<4x32xf16>
                  %1 = dequant %0 : tensor<4x32xf32>
                  %2 = param "b" : tensor<4x32xbf16>
                  %3 = param "q" : tensor<4x32xq8_0>
                  %4 = dequant %3 : tensor<4x32xf32>
                  %5 = quantize %4 {to = "q8_0"} : tensor<4x32xq8_0>
                  %6 = quantize %1 {to = "bf16"} : tensor<4x32xbf16>
                  return "h" = %0, "b" = %2, "q" = %5, "hb" = %6
                }
                """, g);
    }

    @Test
    void requantizingAQ8Block_isNotExactWhichIsWhyThePairStays() {
        // a block whose largest |q| is 100, not 127: requantizing picks the scale amax/127 anew
        MemorySegment block = Arena.ofAuto().allocate(34, 2);
        block.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, Float.floatToFloat16(0.01f));
        for (int i = 0; i < 32; i++) block.set(ValueLayout.JAVA_BYTE, 2 + i, (byte) (i * 7 % 201 - 100));
        float[] decoded = new float[32];
        BlockCodecs.dequantize(DType.Q8_0, block, 0, decoded, 0, 32);
        MemorySegment again = Arena.ofAuto().allocate(34, 2);
        BlockCodecs.quantize(DType.Q8_0, decoded, 0, 32, again, 0);
        float[] twice = new float[32];
        BlockCodecs.dequantize(DType.Q8_0, again, 0, twice, 0, 32);
        assertNotEquals(java.util.Arrays.toString(decoded), java.util.Arrays.toString(twice));
    }

    @Test
    void activationPairingIsLlamaCppsVecDotType() {
        // ggml/src/ggml-cpu/ggml-cpu.c, type_traits_cpu[...].vec_dot_type
        Map<DType, DType> llamaCpp = Map.ofEntries(Map.entry(DType.Q4_0, DType.Q8_0), Map.entry(DType.Q5_0, DType.Q8_0), Map.entry(DType.Q8_0, DType.Q8_0),
                Map.entry(DType.Q4_1, DType.Q8_1), Map.entry(DType.Q5_1, DType.Q8_1), Map.entry(DType.Q8_1, DType.Q8_1),
                Map.entry(DType.Q2_K, DType.Q8_K), Map.entry(DType.Q3_K, DType.Q8_K), Map.entry(DType.Q4_K, DType.Q8_K),
                Map.entry(DType.Q5_K, DType.Q8_K), Map.entry(DType.Q6_K, DType.Q8_K), Map.entry(DType.F16, DType.F16), Map.entry(DType.BF16, DType.BF16));
        for (DType t : DType.values()) assertEquals(llamaCpp.get(t), TypeRules.activationTypeFor(t), t.toString());
    }

    @Test
    void quantizedActivationsAreSharedAndFusedOpsQuantizeInside() {
        Graph g = run("""
                graph @a {
                  %0 = input "x" : tensor<Tx32xf32>
                  %1 = param "a" : tensor<8x32xq4_0>
                  %2 = matmul %0, %1 : tensor<Tx8xf32>
                  %3 = param "b" : tensor<8x32xq8_0>
                  %4 = matmul %0, %3 : tensor<Tx8xf32>
                  %5 = param "c" : tensor<8x32xf16>
                  %6 = matmul %0, %5 : tensor<Tx8xf32>
                  %7 = param "d" : tensor<8x32xf32>
                  %8 = matmul %0, %7 : tensor<Tx8xf32>
                  %9 = param "nw" : tensor<32xf32>
                  %10 = norm_matmul %0, %9, %1, %7 {eps = 1.0e-5} : tensor<Tx16xf32>
                  %11 = norm_matmul %0, %9, %7 {eps = 1.0e-5} : tensor<Tx8xf32>
                  return "a" = %2, "b" = %4, "c" = %6, "d" = %8, "e" = %10, "f" = %11
                }
                """, INTERP, "fold-quant-dequant,quantize-activations");
        assertIr("""
                graph @a {
                  %0 = input "x" : tensor<Tx32xf32>
                  %1 = param "a" : tensor<8x32xq4_0>
                  %2 = quantize %0 {to = "q8_0"} : tensor<Tx32xq8_0>
                  %3 = matmul %2, %1 : tensor<Tx8xf32>
                  %4 = param "b" : tensor<8x32xq8_0>
                  %5 = matmul %2, %4 : tensor<Tx8xf32>
                  %6 = param "c" : tensor<8x32xf16>
                  %7 = quantize %0 {to = "f16"} : tensor<Tx32xf16>
                  %8 = matmul %7, %6 : tensor<Tx8xf32>
                  %9 = param "d" : tensor<8x32xf32>
                  %10 = matmul %0, %9 : tensor<Tx8xf32>
                  %11 = param "nw" : tensor<32xf32>
                  %12 = norm_matmul %0, %11, %1, %9 {act_quant = true, eps = 1.0e-5} : tensor<Tx16xf32>
                  %13 = norm_matmul %0, %11, %9 {eps = 1.0e-5} : tensor<Tx8xf32>
                  return "a" = %3, "b" = %5, "c" = %8, "d" = %10, "e" = %12, "f" = %13
                }
                """, g);
    }

    @Test
    void rowsThatAreNoWholeBlocksOfThePairedTypeStayF32() {
        // Q8_K pairs with K-quants in blocks of 256; a K-quant weight has whole 256-blocks, so this never bites
        // llama.cpp's models; but an F16 weight of 172 columns pairs with f16 (blocks of 1) and is quantized
        Graph g = run("""
                graph @k {
                  %0 = input "x" : tensor<Tx172xf32>
                  %1 = param "w" : tensor<8x172xf16>
                  %2 = matmul %0, %1 : tensor<Tx8xf32>
                  return "y" = %2
                }
                """, INTERP, "fold-quant-dequant,quantize-activations");
        assertEquals(1, g.nodes().stream().filter(n -> n.op() == OpKind.QUANTIZE).count());
    }

    /**
     * The rounding quantize-activations introduces is llama.cpp's: per activation element at most
     * 0.57·d for the Q8 types (d = amax/127 of its block: half a step, plus the f16 rounding of d,
     * 127.5·d·2^-11 ≈ 0.062·d) and 2^-11·|x| for f16; so each output moves by at most
     * Σ|w|·bound, plus f32 summation noise.
     */
    @Property(tries = 60)
    void quantizedMatmulStaysWithinTheRoundingBound(@ForAll @IntRange(min = 0, max = 5) int type, @ForAll @IntRange(min = 1, max = 4) int blocks,
                                                     @ForAll @IntRange(min = 1, max = 3) int rows, @ForAll long seed) {
        DType wt = new DType[] {DType.Q4_0, DType.Q8_0, DType.Q4_1, DType.Q4_K, DType.F16, DType.Q6_K}[type];
        DType at = TypeRules.activationTypeFor(wt);
        int k = blocks * Math.max(wt.blockSize(), at.blockSize()), n = 5;
        Random r = new Random(seed);
        float[] x = new float[rows * k], w = new float[n * k];
        double scale = Math.pow(10, r.nextInt(7) - 3); // 1e-3 .. 1e3: extreme block scales
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * scale * (r.nextInt(8) == 0 ? 20 : 1));
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        TensorData wd = Equivalence.encode(wt, new long[] {n, k}, w);
        GraphBuilder b = new GraphBuilder("m");
        Node xi = b.input("x", TensorType.of(DType.F32, rows, k));
        Node p = b.param("w", TensorType.of(wt, n, k));
        b.output("y", b.matmul(xi, p));
        Graph lifted = b.build();
        Graph q = Ir.run(lifted, INTERP, "fold-quant-dequant,quantize-activations");
        assertEquals(1, q.nodes().stream().filter(nd -> nd.op() == OpKind.QUANTIZE).count());
        Map<String, Value> in = Map.of("x", Value.ofF32(new long[] {rows, k}, x));
        float[] exact = new Interpreter(lifted, name -> wd).run(in, Map.of()).get("y").f32();
        float[] rounded = new Interpreter(q, name -> wd).run(in, Map.of()).get("y").f32();
        float[] wv = Interpreter.toF32(Value.ofRaw(wd));
        int bs = at.blockSize();
        for (int t = 0; t < rows; t++) {
            double[] bound = new double[k];
            for (int blk = 0; blk < k / bs; blk++) {
                double amax = 0;
                for (int i = 0; i < bs; i++) amax = Math.max(amax, Math.abs(x[t * k + blk * bs + i]));
                for (int i = 0; i < bs; i++) {
                    double xi2 = Math.abs(x[t * k + blk * bs + i]);
                    bound[blk * bs + i] = at == DType.F16 ? xi2 * Math.scalb(1.0, -11) + 6e-8 : 0.57 * amax / 127;
                }
            }
            for (int j = 0; j < n; j++) {
                double allowed = 0, mag = 0;
                for (int i = 0; i < k; i++) {
                    allowed += Math.abs(wv[j * k + i]) * bound[i];
                    mag += Math.abs(wv[j * k + i] * x[t * k + i]);
                }
                double diff = Math.abs(exact[t * n + j] - rounded[t * n + j]);
                assertTrue(diff <= allowed + 1e-5 * mag + 1e-30, String.format("%s row %d out %d: |diff| %.3g > bound %.3g", wt, t, j, diff, allowed));
            }
        }
    }

    /** matmul_id's expert weights fold like a matmul's, and its x is rounded to their vec_dot_type (llama.cpp's mul_mat_id). */
    @Test
    void matmulIdReadsStoredExpertsAndQuantizesItsActivation() {
        Graph g = run("""
                graph @moe {
                  %0 = input "x" : tensor<Tx32xf32>
                  %1 = input "ids" : tensor<Tx2xi32>
                  %2 = param "w" : tensor<4x8x32xq8_0>
                  %3 = dequant %2 : tensor<4x8x32xf32>
                  %4 = matmul_id %0, %3, %1 : tensor<Tx2x8xf32>
                  return "y" = %4
                }
                """, INTERP, "fold-quant-dequant,quantize-activations");
        assertIr("""
                graph @moe {
                  %0 = input "x" : tensor<Tx32xf32>
                  %1 = input "ids" : tensor<Tx2xi32>
                  %2 = param "w" : tensor<4x8x32xq8_0>
                  %3 = quantize %0 {to = "q8_0"} : tensor<Tx32xq8_0>
                  %4 = matmul_id %3, %2, %1 : tensor<Tx2x8xf32>
                  return "y" = %4
                }
                """, g);
    }
}
