package ggufc.passes;

import static ggufc.passes.Ir.assertIr;
import static ggufc.passes.Ir.print;
import static ggufc.passes.Ir.run;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.ir.OpKind;
import ggufc.ir.TensorData;
import ggufc.passes.check.Equivalence;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** canonicalize, cse, dce, fold-constants on hand-written cases and their near misses. */
class CleanupTest {
    static final Target INTERP = Targets.INTERP;

    @Test
    void reshapeChainsCollapseAndAnIdentityReshapeDisappears() {
        assertIr("""
                graph @v {
                  %0 = input "x" : tensor<Tx8xf32>
                  %1 = reshape %0 : tensor<Tx2x4xf32>
                  return "y" = %1
                }
                """, run("""
                graph @v {
                  %0 = input "x" : tensor<Tx8xf32>
                  %1 = reshape %0 : tensor<Tx4x2xf32>
                  %2 = reshape %1 : tensor<Tx2x4xf32>
                  return "y" = %2
                }
                """, INTERP, "canonicalize"));
        assertIr("""
                graph @v {
                  %0 = input "x" : tensor<Tx8xf32>
                  %1 = silu %0 : tensor<Tx8xf32>
                  return "y" = %1
                }
                """, run("""
                graph @v {
                  %0 = input "x" : tensor<Tx8xf32>
                  %1 = reshape %0 : tensor<Tx2x4xf32>
                  %2 = reshape %1 : tensor<Tx8xf32>
                  %3 = silu %2 : tensor<Tx8xf32>
                  return "y" = %3
                }
                """, INTERP, "canonicalize"));
    }

    @Test
    void splitsOfSplitsAndWholeSplitsAndLastRowOfOneRow() {
        assertIr("""
                graph @s {
                  %0 = input "x" : tensor<1x16xf32>
                  %1 = split %0 {offset = 6, size = 2} : tensor<1x2xf32>
                  return "y" = %1, "z" = %0
                }
                """, run("""
                graph @s {
                  %0 = input "x" : tensor<1x16xf32>
                  %1 = split %0 {offset = 4, size = 8} : tensor<1x8xf32>
                  %2 = split %1 {offset = 2, size = 2} : tensor<1x2xf32>
                  %3 = split %0 {offset = 0, size = 16} : tensor<1x16xf32>
                  %4 = last_row %3 : tensor<1x16xf32>
                  return "y" = %2, "z" = %4
                }
                """, INTERP, "canonicalize"));
    }

    @Test
    void scaleChainsFoldOnlyWhenExact() {
        Graph g = run("""
                graph @k {
                  %0 = input "x" : tensor<4xf32>
                  %1 = scale %0 {factor = 3.0} : tensor<4xf32>
                  %2 = scale %1 {factor = 0.25} : tensor<4xf32>
                  %3 = scale %0 {factor = 3.0} : tensor<4xf32>
                  %4 = scale %3 {factor = 5.0} : tensor<4xf32>
                  %5 = scale %4 {factor = 1.0} : tensor<4xf32>
                  return "a" = %2, "b" = %5
                }
                """, INTERP, "canonicalize");
        // 3 * 0.25: 0.25 is a power of two, so (x*3)*0.25 == x*0.75 exactly; 3 then 5 would round twice: kept
        assertIr("""
                graph @k {
                  %0 = input "x" : tensor<4xf32>
                  %1 = scale %0 {factor = 0.75} : tensor<4xf32>
                  %2 = scale %0 {factor = 3.0} : tensor<4xf32>
                  %3 = scale %2 {factor = 5.0} : tensor<4xf32>
                  return "a" = %1, "b" = %3
                }
                """, g);
    }

    @Test
    void neutralConstantsAndSelfAdds() {
        // x*1 -> x, 0+x -> x, x+x -> 2x, x*[-1.5] -> scale -1.5, then 2 * -1.5 folds (2 is a power of two)
        assertIr("""
                graph @n {
                  %0 = input "x" : tensor<2x2xf32>
                  %1 = scale %0 {factor = -3.0} : tensor<2x2xf32>
                  return "y" = %1
                }
                """, run("""
                graph @n {
                  %0 = input "x" : tensor<2x2xf32>
                  %1 = constant {values = [1.0, 1.0]} : tensor<2xf32>
                  %2 = mul %0, %1 : tensor<2x2xf32>
                  %3 = constant {values = [0.0, 0.0, 0.0, 0.0]} : tensor<2x2xf32>
                  %4 = add %3, %2 : tensor<2x2xf32>
                  %5 = add %4, %4 : tensor<2x2xf32>
                  %6 = constant {values = [-1.5]} : tensor<f32>
                  %7 = mul %5, %6 : tensor<2x2xf32>
                  return "y" = %7
                }
                """, INTERP, "canonicalize"));
    }

    @Test
    void aConstantThatIsAlmostNeutralStays() {
        Graph g = Ir.parse("""
                graph @n {
                  %0 = input "x" : tensor<2xf32>
                  %1 = constant {values = [1.0, 1.0000001]} : tensor<2xf32>
                  %2 = mul %0, %1 : tensor<2xf32>
                  return "y" = %2
                }
                """);
        assertEquals(print(g), print(run(g, INTERP, "canonicalize")));
    }

    @Test
    void cseMergesEqualComputationsAndConstantsDceDropsTheDead() {
        assertIr("""
                graph @c {
                  %0 = input "x" : tensor<Tx4xf32>
                  %1 = input "unused" : tensor<2xf32>
                  %2 = param "w" : tensor<4x4xf32>
                  %3 = matmul %0, %2 : tensor<Tx4xf32>
                  %4 = constant {values = [2.0]} : tensor<f32>
                  %5 = mul %3, %4 : tensor<Tx4xf32>
                  %6 = add %5, %5 : tensor<Tx4xf32>
                  return "y" = %6
                }
                """, run("""
                graph @c {
                  %0 = input "x" : tensor<Tx4xf32>
                  %1 = input "unused" : tensor<2xf32>
                  %2 = param "w" : tensor<4x4xf32>
                  %3 = param "dead" : tensor<4x4xf32>
                  %4 = matmul %0, %2 : tensor<Tx4xf32>
                  %5 = matmul %0, %2 : tensor<Tx4xf32>
                  %6 = matmul %0, %3 : tensor<Tx4xf32>
                  %7 = constant {values = [2.0]} : tensor<f32>
                  %8 = constant {values = [2.0]} : tensor<f32>
                  %9 = mul %4, %7 : tensor<Tx4xf32>
                  %10 = mul %5, %8 : tensor<Tx4xf32>
                  %11 = add %9, %10 : tensor<Tx4xf32>
                  return "y" = %11
                }
                """, INTERP, "cse,dce"));
    }

    @Test
    void constantsAreEvaluatedAtCompileTime() {
        Graph g = run("""
                graph @f {
                  %0 = input "x" : tensor<3xf32>
                  %1 = constant {values = [1.0, -2.0, 0.5]} : tensor<3xf32>
                  %2 = constant {values = [3.0, 4.0, 0.25]} : tensor<3xf32>
                  %3 = add %1, %2 : tensor<3xf32>
                  %4 = silu %3 : tensor<3xf32>
                  %5 = mul %0, %4 : tensor<3xf32>
                  return "y" = %5
                }
                """, INTERP, "fold-constants");
        assertEquals(List.of(OpKind.INPUT, OpKind.CONSTANT, OpKind.MUL), g.nodes().stream().map(n -> n.op()).toList());
        List<Double> v = g.nodes().get(1).attrs().reals("values");
        double[] sums = {4.0, 2.0, 0.75};
        for (int i = 0; i < 3; i++) {
            float s = (float) sums[i];
            assertEquals(s / (1 + Math.exp(-s)), v.get(i), 1e-6);
        }
    }

    @Test
    void smallWeightsAreDequantizedAtCompileTimeButMatricesStayInBlocks() {
        Graph g = Ir.parse("""
                graph @w {
                  %0 = input "x" : tensor<Tx32xf32>
                  %1 = param "norm" : tensor<32xf16>
                  %2 = dequant %1 : tensor<32xf32>
                  %3 = rms_norm %0, %2 {eps = 1.0e-5} : tensor<Tx32xf32>
                  %4 = param "w" : tensor<8x32xf16>
                  %5 = dequant %4 : tensor<8x32xf32>
                  %6 = matmul %3, %5 : tensor<Tx8xf32>
                  return "y" = %6
                }
                """);
        float[] norm = new float[32];
        for (int i = 0; i < 32; i++) norm[i] = 1 + i / 3f; // f16 rounds most of these
        Map<String, TensorData> weights = Map.of("norm", Equivalence.encode(DType.F16, new long[] {32}, norm),
                "w", Equivalence.encode(DType.F16, new long[] {8, 32}, new float[256]));
        Graph out = run(g, INTERP, "fold-constants", weights::get);
        assertEquals(List.of(OpKind.INPUT, OpKind.CONSTANT, OpKind.RMS_NORM, OpKind.PARAM, OpKind.DEQUANT, OpKind.MATMUL),
                out.nodes().stream().map(n -> n.op()).toList());
        List<Double> v = out.nodes().get(1).attrs().reals("values");
        for (int i = 0; i < 32; i++) assertEquals(Float.float16ToFloat(Float.floatToFloat16(norm[i])), v.get(i).floatValue(), 0f);
        // without weights nothing can be decoded
        assertEquals(print(g), print(run(g, INTERP, "fold-constants")));
    }
}
