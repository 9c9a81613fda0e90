package ggufc.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.ir.Graph;
import ggufc.ir.gen.RandomGraphs;
import ggufc.ir.text.IrPrinter;
import ggufc.passes.analysis.StepCost;
import ggufc.passes.check.Equivalence;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Every pass preserves meaning on random graphs (ggufc.ir.gen.RandomGraphs: every op kind, static
 * small shapes, all weight dtypes, KV caches written and read, attention and FFN blocks in lifted
 * form). The pass manager checks each pass on the interpreter ({@code checkEach}): all outputs
 * and state write-backs of two consecutive steps, with seeded random inputs and weights, equal
 * within 1e-6·(1 + |x|) for exact passes ({@link Equivalence}).
 */
class MeaningProperties {
    /** The default pipeline without quantize-activations: every pass in it is exact. */
    static final String EXACT = "canonicalize,cse,fold-constants,fold-quant-dequant,fuse-attention,fuse-rope-kv-write,fuse-glu,"
            + "fuse-norm-matmul,fuse-matmul-add,canonicalize,cse,dce,fuse-elementwise,fuse-horizontal";
    static final String FUSIONS = "fuse-attention,fuse-rope-kv-write,fuse-glu,fuse-norm-matmul,fuse-matmul-add,fuse-elementwise,fuse-horizontal";

    /** jqwik's own: mostly small graphs (about 14 nodes on average), shrinkable. */
    @Provide
    Arbitrary<Graph> graphs() { return RandomGraphs.graphs(true); }

    /** From a seed: larger graphs (20 to 400 choices, about 60 nodes), reproducible by the seed jqwik reports. */
    @Provide
    Arbitrary<Graph> largeGraphs() { return net.jqwik.api.Arbitraries.longs().map(seed -> RandomGraphs.generate(seed, true)); }

    static PassManager.Result run(Graph g, String passes) {
        Target t = Targets.INTERP;
        return new PassManager(PassRegistry.parse(passes, t), Ir.checked()).run(g, new PassContext(t, Equivalence.randomParams(g, 11)));
    }

    /** Runs {@code body}; on failure the message carries the graph's IR (jqwik prints only its summary). */
    static void withIr(Graph g, Runnable body) {
        try {
            body.run();
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\non\n" + IrPrinter.print(g), e);
        }
    }

    @Property(tries = 300)
    void everyPassOfTheExactPipelineComputesTheSame(@ForAll("graphs") Graph g) {
        withIr(g, () -> run(g, EXACT));
    }

    @Property(tries = 150)
    void everyPassOfTheExactPipelineComputesTheSameOnLargerGraphs(@ForAll("largeGraphs") Graph g) {
        withIr(g, () -> run(g, EXACT));
    }

    @Property(tries = 300)
    void fusionKeepsFlopsAndNeverAddsKernelsOrTraffic(@ForAll("graphs") Graph g) {
        withIr(g, () -> {
            // dce first: rewrites drop dead nodes, which would lower the costs for another reason
            PassManager.Result r = run(g, "dce," + FUSIONS);
            StepCost before = r.records().getFirst().after(), after = r.output();
            assertEquals(before.flops(), after.flops(), "a fused op costs the sum of its parts");
            assertTrue(after.kernels() <= before.kernels(), () -> before + " -> " + after);
            assertTrue(after.totalBytes() <= before.totalBytes(), () -> before + " -> " + after);
        });
    }

    @Property(tries = 100)
    void cleanupReachesAFixedPoint(@ForAll("graphs") Graph g) {
        withIr(g, () -> {
            Graph once = run(g, "canonicalize,cse,fold-constants,dce").graph();
            Graph twice = run(once, "canonicalize,cse,fold-constants,dce").graph();
            assertEquals(IrPrinter.print(once), IrPrinter.print(twice));
        });
    }

    /** Found by the property above (CI, 2026-12-05): gelu of a constant folds to a value equal to another constant. */
    @org.junit.jupiter.api.Test
    void aFoldedConstantEqualToAnotherIsMergedInTheSameRound() {
        Graph g = ggufc.ir.text.IrParser.parse("""
                graph @g {
                  %0 = input "x" : tensor<2x1xf32>
                  %1 = constant {values = [4.0]} : tensor<1xf32>
                  %2 = gelu %1 : tensor<1xf32>
                  %3 = mul %0, %1 : tensor<2x1xf32>
                  %4 = mul %0, %2 : tensor<2x1xf32>
                  %5 = add %3, %4 : tensor<2x1xf32>
                  return "a" = %5, "b" = %2
                }
                """, "fold.ir");
        Graph once = run(g, "canonicalize,cse,fold-constants,dce").graph();
        assertEquals(IrPrinter.print(once), IrPrinter.print(run(once, "canonicalize,cse,fold-constants,dce").graph()));
        // gelu(4) rounds to 4 (the interpreter's gelu goes through f16, as ggml's table does): one constant, one mul
        assertEquals(1, once.nodes().stream().filter(n -> n.op() == ggufc.ir.OpKind.CONSTANT).count(), () -> IrPrinter.print(once));
    }

    /**
     * Found by cleanupReachesAFixedPoint (2026-12-05): a small weight's dequant read by a dead matmul as
     * its weight was not folded in the first round (a matmul reads weights in place) and was in the
     * second, once dce had dropped the matmul. Dead users do not count now.
     */
    @org.junit.jupiter.api.Test
    void aWeightReadOnlyByADeadMatmulIsFoldedInTheFirstRound() {
        Graph g = ggufc.ir.text.IrParser.parse("""
                graph @g {
                  %0 = param "w" : tensor<4x8xf16>
                  %1 = dequant %0 : tensor<4x8xf32>
                  %2 = input "x" : tensor<1x8xf32>
                  %3 = matmul %2, %1 : tensor<1x4xf32>
                  %4 = silu %1 : tensor<4x8xf32>
                  return "a" = %4
                }
                """, "dead-matmul.ir");
        Graph once = run(g, "canonicalize,cse,fold-constants,dce").graph();
        assertEquals(IrPrinter.print(once), IrPrinter.print(run(once, "canonicalize,cse,fold-constants,dce").graph()));
        assertEquals(0, once.nodes().stream().filter(n -> n.op() == ggufc.ir.OpKind.DEQUANT).count(), () -> IrPrinter.print(once));
    }

    /**
     * The properties above are not vacuous: on seeded random graphs every fusion and the main cleanup
     * rules fire. (fold-quant-dequant's rules do not: the generator uses stored weights directly and
     * never wraps one in a dequant as the lifter does; unit tests, goldens and the real models cover them.)
     */
    @org.junit.jupiter.api.Test
    void randomGraphsMakeEveryRuleFire() {
        java.util.Map<String, Integer> fired = new java.util.TreeMap<>();
        for (long seed = 0; seed < 300; seed++) {
            Graph g = RandomGraphs.generate(seed, true);
            for (PassManager.PassRecord r : run(g, EXACT).records()) r.counts().forEach((k, v) -> fired.merge(k, v, Integer::sum));
        }
        for (String rule : java.util.List.of("attention", "rope-kv-write", "swiglu", "geglu", "norm-matmul", "norm-glu", "residual-epilogue",
                "groups", "merged", "reshape-reshape", "evaluate")) {
            assertTrue(fired.getOrDefault(rule, 0) > 0, rule + " never fired; fired: " + fired);
        }
        System.out.println("rules fired on 300 random graphs: " + fired);
    }
}
