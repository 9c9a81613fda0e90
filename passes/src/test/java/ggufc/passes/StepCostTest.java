package ggufc.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ggufc.ir.Graph;
import ggufc.passes.analysis.StepCost;
import org.junit.jupiter.api.Test;

/** The cost model on graphs small enough to count by hand. */
class StepCostTest {

    static final String DEQUANT_MATMUL = """
            graph @g {
              %0 = input "x" : tensor<Tx32xf32>
              %1 = param "w" : tensor<8x32xq8_0>
              %2 = dequant %1 : tensor<8x32xf32>
              %3 = matmul %0, %2 : tensor<Tx8xf32>
              %4 = silu %3 : tensor<Tx8xf32>
              return "y" = %4
            }
            """;

    @Test
    void dequantMatmulSiluAsLiftedAndAfterFolding() {
        StepCost c = StepCost.of(Ir.parse(DEQUANT_MATMUL), 1);
        assertEquals(5, c.nodes());
        assertEquals(3, c.ops());
        assertEquals(3, c.kernels());
        // dequant reads 8 Q8_0 blocks (8 x 34 B) and writes 256 f32; the matmul reads those 256 f32 again
        assertEquals(8 * 34 + 256 * 4 + 256 * 4, c.weightBytes());
        // matmul reads x (32 f32), writes 8 f32; silu reads 8, writes 8
        assertEquals(32 * 4 + 8 * 4 + 8 * 4 + 8 * 4, c.activationBytes());
        assertEquals(0, c.kvBytes());
        assertEquals(2 * 32 * 8 + 8, c.flops());

        Graph folded = Ir.run(DEQUANT_MATMUL, Targets.INTERP, "fold-quant-dequant,fuse-elementwise");
        StepCost f = StepCost.of(folded, 1);
        assertEquals(1, f.kernels()); // matmul with silu as its epilogue
        assertEquals(8 * 34, f.weightBytes());
        assertEquals(32 * 4 + 8 * 4, f.activationBytes());
        assertEquals(c.flops(), f.flops());
    }

    @Test
    void kvWriteTouchesTheNewRowsAndAttentionReadsLRowsOfTheF16Cache() {
        Graph g = Ir.parse("""
                graph @kv {
                  %0 = input "x" : tensor<Tx2x4xf32>
                  %1 = input "pos" : tensor<Txi32>
                  %2 = state "cache" : tensor<16x2x4xf16>
                  %3 = kv_write %2, %0, %1 : tensor<16x2x4xf16>
                  %4 = kv_read %3 : tensor<Lx2x4xf32>
                  %5 = input "q" : tensor<Tx4x4xf32>
                  %6 = input "v" : tensor<Lx2x4xf32>
                  %7 = attention %5, %4, %6, %1 {scale = 0.5} : tensor<Tx4x4xf32>
                  return "cache" = %3, "o" = %7
                }
                """);
        StepCost c = StepCost.of(g, 10);
        assertEquals(2, c.kernels()); // kv_read is a view
        // kv_write: reads x (8 f32) and pos (1 i32); attention: reads q (16 f32), v (10 x 8 f32), pos, writes o (16 f32)
        assertEquals(8 * 4 + 4 + 16 * 4 + 80 * 4 + 4 + 16 * 4, c.activationBytes());
        // one new row of 2 x 4 halves written; 10 rows of keys read through the f16 view
        assertEquals(8 * 2 + 80 * 2, c.kvBytes());
        // 4 heads x 10 keys: scores (2 x 4 + 1 each), softmax (4 each), weighted sum (2 x 4 each)
        assertEquals(40 * 9 + 40 * 4 + 40 * 8, c.flops());
        assertEquals(0, c.weightBytes());
    }

    @Test
    void embeddingReadsOnlyTheGatheredRows() {
        StepCost c = StepCost.of(Ir.parse("""
                graph @e {
                  %0 = input "tokens" : tensor<Txi32>
                  %1 = param "table" : tensor<1000x64xq4_0>
                  %2 = embed %1, %0 : tensor<Tx64xf32>
                  return "h" = %2
                }
                """), 1);
        // one row of 2 Q4_0 blocks (18 B each), one token id, one f32 row written
        assertEquals(2 * 18, c.weightBytes());
        assertEquals(4 + 64 * 4, c.activationBytes());
    }

    @Test
    void groupsCountOnceAndKeepTheirIntermediatesInside() {
        Graph g = Ir.parse("""
                graph @g {
                  %0 = input "x" : tensor<4xf32>
                  %1 = silu %0 {kernel = 0} : tensor<4xf32>
                  %2 = scale %1 {factor = 2.0, kernel = 0} : tensor<4xf32>
                  %3 = gelu %2 : tensor<4xf32>
                  return "y" = %3
                }
                """);
        StepCost c = StepCost.of(g, 1);
        assertEquals(2, c.kernels());
        // group: reads x, writes %2 (its result used outside); gelu: reads %2, writes y
        assertEquals(4 * 16, c.activationBytes());
    }

    @Test
    void defaultContextIsTheCacheCapacityUpTo512() {
        assertEquals(16, StepCost.defaultContext(Ir.parse("""
                graph @c {
                  %0 = state "k" : tensor<16x2x4xf32>
                  return "k" = %0
                }
                """)));
        assertEquals(512, StepCost.defaultContext(Ir.parse(DEQUANT_MATMUL)));
    }

    /** matmul_id reads only the selected experts' rows: K experts of [M, N] per token, however many experts there are. */
    @Test
    void matmulIdCountsOnlyTheSelectedExperts() {
        String ir = """
                graph @moe {
                  %0 = input "x" : tensor<Tx32xf32>
                  %1 = input "logits" : tensor<Tx16xf32>
                  %2 = topk %1 {k = 2} : tensor<Tx2xi32>
                  %3 = param "w" : tensor<16x8x32xq8_0>
                  %4 = dequant %3 : tensor<16x8x32xf32>
                  %5 = matmul_id %0, %4, %2 : tensor<Tx2x8xf32>
                  %6 = take_along %1, %2 : tensor<Tx2xf32>
                  %7 = weighted_sum %5, %6 : tensor<Tx8xf32>
                  return "y" = %7
                }
                """;
        StepCost f = StepCost.of(Ir.run(ir, Targets.INTERP, "fold-quant-dequant"), 1);
        // 2 experts x 8 rows of one Q8_0 block (34 B) per token, not the 16 experts' 128 rows
        assertEquals(2 * 8 * 34, f.weightBytes());
        // matmul_id: 2 x (2 x 8 x 32); weighted_sum: 2 per input element (2 x 8)
        assertEquals(2 * 2 * 8 * 32 + 2 * 2 * 8, f.flops());
    }
}
