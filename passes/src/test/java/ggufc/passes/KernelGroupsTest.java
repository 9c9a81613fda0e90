package ggufc.passes;

import static ggufc.passes.Ir.assertIr;
import static ggufc.passes.Ir.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ggufc.ir.Graph;
import ggufc.ir.Node;
import ggufc.passes.analysis.StepCost;
import ggufc.passes.fusion.KernelGroups;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** fuse-elementwise, fuse-horizontal and the convexity check. */
class KernelGroupsTest {
    static final Target INTERP = Targets.INTERP;

    @Test
    void anElementwiseChainJoinsTheMatmulItFollows() {
        Graph g = run("""
                graph @e {
                  %0 = input "x" : tensor<Tx8xf32>
                  %1 = param "w" : tensor<8x8xf32>
                  %2 = matmul %0, %1 : tensor<Tx8xf32>
                  %3 = input "r" : tensor<Tx8xf32>
                  %4 = add %2, %3 : tensor<Tx8xf32>
                  %5 = silu %4 : tensor<Tx8xf32>
                  %6 = scale %5 {factor = 2.0} : tensor<Tx8xf32>
                  %7 = gelu %6 : tensor<Tx8xf32>
                  %8 = mul %7, %6 : tensor<Tx8xf32>
                  return "y" = %8
                }
                """, INTERP, "fuse-elementwise");
        // %6 has two users, so it ends one kernel and %7, %8 form the next
        assertIr("""
                graph @e {
                  %0 = input "x" : tensor<Tx8xf32>
                  %1 = param "w" : tensor<8x8xf32>
                  %2 = matmul %0, %1 {kernel = 0} : tensor<Tx8xf32>
                  %3 = input "r" : tensor<Tx8xf32>
                  %4 = add %2, %3 {kernel = 0} : tensor<Tx8xf32>
                  %5 = silu %4 {kernel = 0} : tensor<Tx8xf32>
                  %6 = scale %5 {factor = 2.0, kernel = 0} : tensor<Tx8xf32>
                  %7 = gelu %6 {kernel = 1} : tensor<Tx8xf32>
                  %8 = mul %7, %6 {kernel = 1} : tensor<Tx8xf32>
                  return "y" = %8
                }
                """, g);
        assertEquals(2, StepCost.of(g, 1).kernels());
    }

    @Test
    void oneKernelHoldsOneMatmulAndNoBroadcastProducer() {
        Graph g = run("""
                graph @two {
                  %0 = input "x" : tensor<Tx8xf32>
                  %1 = param "a" : tensor<8x8xf32>
                  %2 = matmul %0, %1 : tensor<Tx8xf32>
                  %3 = param "b" : tensor<8x8xf32>
                  %4 = matmul %0, %3 : tensor<Tx8xf32>
                  %5 = add %2, %4 : tensor<Tx8xf32>
                  %6 = input "v" : tensor<8xf32>
                  %7 = silu %6 : tensor<8xf32>
                  %8 = mul %5, %7 : tensor<Tx8xf32>
                  return "y" = %8
                }
                """, INTERP, "fuse-elementwise");
        Map<Node, Long> k = KernelGroups.of(g);
        List<Node> n = g.nodes();
        assertEquals(k.get(n.get(2)), k.get(n.get(5)));
        assertEquals(k.get(n.get(5)), k.get(n.get(8)));
        assertEquals(null, k.get(n.get(4)), "the second matmul is its own kernel");
        assertEquals(null, k.get(n.get(7)), "silu over [8] feeds a [T, 8] mul: it would be recomputed per row");
    }

    @Test
    void theRopesAndCacheWritesOfOneQkvResultAreOneKernel() {
        Graph g = run("""
                graph @qkv {
                  %0 = input "x" : tensor<Tx32xf32>
                  %1 = input "pos" : tensor<Txi32>
                  %2 = param "nw" : tensor<32xf32>
                  %3 = param "wqkv" : tensor<64x32xf32>
                  %4 = norm_matmul %0, %2, %3 {eps = 1.0e-5} : tensor<Tx64xf32>
                  %5 = split %4 {offset = 0, size = 32} : tensor<Tx32xf32>
                  %6 = split %4 {offset = 32, size = 16} : tensor<Tx16xf32>
                  %7 = split %4 {offset = 48, size = 16} : tensor<Tx16xf32>
                  %8 = reshape %5 : tensor<Tx4x8xf32>
                  %9 = reshape %6 : tensor<Tx2x8xf32>
                  %10 = reshape %7 : tensor<Tx2x8xf32>
                  %11 = rope %8, %1 {freq_base = 10000.0, freq_scale = 1.0, mode = "normal", n_rot = 8} : tensor<Tx4x8xf32>
                  %12 = state "k" : tensor<8x2x8xf32>
                  %13 = rope_kv_write %12, %9, %1 {freq_base = 10000.0, freq_scale = 1.0, mode = "normal", n_rot = 8} : tensor<8x2x8xf32>
                  %14 = state "v" : tensor<8x2x8xf32>
                  %15 = kv_write %14, %10, %1 : tensor<8x2x8xf32>
                  %16 = kv_read %13 : tensor<Lx2x8xf32>
                  %17 = kv_read %15 : tensor<Lx2x8xf32>
                  %18 = attention %11, %16, %17, %1 {scale = 0.35} : tensor<Tx4x8xf32>
                  return "o" = %18, "k" = %13, "v" = %15
                }
                """, INTERP, "fuse-horizontal");
        Map<Node, Long> k = KernelGroups.of(g);
        assertEquals(3, k.size());
        assertEquals(1, k.values().stream().distinct().count());
        assertEquals(List.of("rope", "rope_kv_write", "kv_write"), g.nodes().stream().filter(k::containsKey).map(n -> n.op().irName()).toList());
        assertEquals(3, StepCost.of(g, 4).kernels()); // norm_matmul, the group, attention: splits, reshapes and kv_reads are views
    }

    @Test
    void aNonConvexGroupIsRejected() {
        Graph g = Ir.parse("""
                graph @bad {
                  %0 = input "x" : tensor<4x4xf32>
                  %1 = silu %0 {kernel = 0} : tensor<4x4xf32>
                  %2 = param "w" : tensor<4x4xf32>
                  %3 = matmul %1, %2 : tensor<4x4xf32>
                  %4 = add %3, %1 {kernel = 0} : tensor<4x4xf32>
                  %5 = param "p" {kernel = 1} : tensor<4xf32>
                  %6 = gelu %4 {kernel = "one"} : tensor<4x4xf32>
                  return "y" = %6, "p" = %5
                }
                """);
        assertEquals(List.of(
                "%5 = param: a leaf cannot belong to kernel group 1",
                "%6 = gelu: attribute kernel must be an integer group id, got one",
                "kernel group 0 is not convex: %4 = add depends on the group through %3 = matmul, which is outside it"), KernelGroups.check(g));
        // the pass manager's verify-each runs the check too
        PassException e = assertThrows(PassException.class, () -> run(g, INTERP, "dce"));
        assertEquals(true, e.getMessage().startsWith("the input graph produced an invalid graph: %5 = param: a leaf"), e.getMessage());
    }
}
