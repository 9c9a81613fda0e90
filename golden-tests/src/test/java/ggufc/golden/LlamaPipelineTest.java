package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.gguf.GgmlType;
import ggufc.gguf.GgufFile;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.ir.interp.Interpreter;
import ggufc.ir.interp.Value;
import ggufc.lift.GgufWeights;
import ggufc.lift.LlamaLifter;
import ggufc.passes.PassContext;
import ggufc.passes.PassManager;
import ggufc.passes.PassRegistry;
import ggufc.passes.Pipelines;
import ggufc.passes.Targets;
import ggufc.passes.analysis.StepCost;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The default pipeline on the llama graph: the numbers (kernels per decode step cut at
 * least 3x, activation bytes per token at least 2x) on stories260K and on a 1B-class model, and
 * that the fused graph computes the lifted one's logits on the real model.
 */
class LlamaPipelineTest {
    /** The default pipeline minus quantize-activations: every pass in it is exact. */
    static final String EXACT = "canonicalize,cse,fold-constants,fold-quant-dequant,fuse-attention,fuse-rope-kv-write,fuse-glu,"
            + "fuse-norm-matmul,fuse-matmul-add,canonicalize,cse,dce,fuse-elementwise,fuse-horizontal";

    static PassManager.Result vectorPipeline(Graph lifted, GgufFile f) {
        return new PassManager(Pipelines.defaultFor("vector"), PassManager.Options.defaults())
                .run(lifted, new PassContext(Targets.VECTOR, new GgufWeights(f)));
    }

    /** Asserts the ratios at several context lengths and prints the figures. */
    static void assertCuts(String what, Graph lifted, Graph optimized) {
        for (long l : List.of(1L, 512L, 4096L)) {
            StepCost a = StepCost.of(lifted, l), b = StepCost.of(optimized, l);
            System.out.printf("%-28s L=%-5d kernels %4d -> %3d (%.2fx)  activation B/tok %,13d -> %,11d (%.1fx)  weight B/tok %,15d -> %,15d (%.2fx)  KV B/tok %,11d  FLOPs %,d%n",
                    what, l, a.kernels(), b.kernels(), (double) a.kernels() / b.kernels(), a.activationBytes(), b.activationBytes(),
                    (double) a.activationBytes() / b.activationBytes(), a.weightBytes(), b.weightBytes(), (double) a.weightBytes() / b.weightBytes(),
                    b.kvBytes(), b.flops());
            assertTrue(a.kernels() >= 3 * b.kernels(), what + ": kernels " + a.kernels() + " -> " + b.kernels() + " is less than a 3x cut");
            assertTrue(a.activationBytes() >= 2 * b.activationBytes(), what + " at L=" + l + ": activation bytes " + a.activationBytes() + " -> " + b.activationBytes());
            assertTrue(b.weightBytes() <= a.weightBytes(), what + ": weight traffic grew");
            assertEquals(a.kvBytes(), b.kvBytes(), what + ": the cache traffic is what attention needs, before and after");
            assertEquals(a.flops(), b.flops(), what + ": fusion moves work, it does not remove any");
        }
    }

    static Stream<Arguments> storiesFiles() {
        Path q = Goldens.root().resolve("models");
        return Stream.of(Arguments.of("stories260K F32", Goldens.sharedModel("stories260K.gguf")),
                Arguments.of("stories260K Q8_0", q.resolve("stories260K-Q8_0.gguf")),
                Arguments.of("stories260K Q4_0", q.resolve("stories260K-Q4_0.gguf")),
                Arguments.of("stories260K F16", q.resolve("stories260K-F16.gguf")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("storiesFiles")
    void defaultPipelineCutsKernelsAndActivationTrafficOnStories260K(String what, Path file) {
        try (GgufFile f = GgufFile.open(file)) {
            Graph lifted = LlamaLifter.lift(f, new LlamaLifter.Options(2048, false, DType.F32));
            assertCuts(what, lifted, vectorPipeline(lifted, f).graph());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("storiesFiles")
    void exactPipelineComputesTheLiftedLogits(String what, Path file) {
        try (GgufFile f = GgufFile.open(file)) {
            Graph lifted = LlamaLifter.lift(f, new LlamaLifter.Options(64, true, DType.F32));
            Graph fused = new PassManager(PassRegistry.parse(EXACT, Targets.INTERP), PassManager.Options.defaults())
                    .run(lifted, new PassContext(Targets.INTERP, new GgufWeights(f))).graph();
            int[] tokens = {1, 403, 407, 261, 378}; // "Once upon a time"
            float[] a = logits(lifted, f, tokens), b = logits(fused, f, tokens);
            double worst = 0;
            for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
            System.out.printf("%s: fused vs lifted, max |logit diff| over 5 positions x 512: %.3g%n", what, worst);
            assertTrue(worst <= 1e-4, what + ": fused logits differ from the lifted graph's by " + worst);
        }
    }

    /** Logits of a prompt, then of one more token (the second step reads the cache the first wrote). */
    static float[] logits(Graph g, GgufFile f, int[] tokens) {
        Interpreter it = new Interpreter(g, new GgufWeights(f));
        int n = tokens.length;
        int[] pos = new int[n];
        for (int i = 0; i < n; i++) pos[i] = i;
        float[] first = it.run(Map.of("tokens", Value.ofI32(new long[] {n}, tokens), "pos", Value.ofI32(new long[] {n}, pos)),
                Map.of("T", (long) n, "L", (long) n)).get("logits").f32();
        float[] next = it.run(Map.of("tokens", Value.ofI32(new long[] {1}, new int[] {432}), "pos", Value.ofI32(new long[] {1}, new int[] {n})),
                Map.of("T", 1L, "L", (long) n + 1)).get("logits").f32();
        float[] r = new float[first.length + next.length];
        System.arraycopy(first, 0, r, 0, first.length);
        System.arraycopy(next, 0, r, first.length, next.length);
        return r;
    }

    @Test
    void defaultPipelineCutsKernelsAndActivationTrafficOn1BClassModels(@TempDir Path dir) {
        for (GgmlType type : List.of(GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.F16)) {
            Path file = ShapedLlama.LLAMA_1B.write(dir, type);
            try (GgufFile f = GgufFile.open(file)) {
                Graph lifted = LlamaLifter.lift(f, new LlamaLifter.Options(4096, false, DType.F16));
                PassManager.Result r = vectorPipeline(lifted, f);
                assertCuts("llama-1b-shaped " + type, lifted, r.graph());
                // every weight is read in its stored blocks: no dequant is left in the step
                assertEquals(0, r.graph().nodes().stream().filter(n -> n.op() == ggufc.ir.OpKind.DEQUANT).count());
            }
        }
    }
}
