package ggufc.codegen.vector;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.palantir.javapoet.JavaFile;
import ggufc.codegen.vector.kernels.WorkerPool;
import ggufc.codegen.vector.plan.Lowering;
import ggufc.codegen.vector.plan.Plan;
import ggufc.codegen.vector.plan.PlanExecutor;
import ggufc.gguf.GgufFile;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.ir.interp.Interpreter;
import ggufc.ir.interp.Value;
import ggufc.lift.GgufWeights;
import ggufc.lift.LlamaLifter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Whole llama steps on the vector target against the reference interpreter: a tiny model with
 * seeded random weights in each dtype, a 5-token prompt then 3 decode steps, logits of every
 * position compared. Runs the plan executor for every dtype, and the generated, compiled class on a
 * model mixing dtypes (one javac run covers every kernel family).
 */
class CompiledModelTest {
    @TempDir
    Path tmp;

    static final int[] PROMPT = {1, 5, 9, 20, 33};
    static final int[] NEXT = {40, 2, 77};

    /** Logits of every position of the prompt and each decode step, in order. */
    static float[][] reference(Graph g, GgufWeights w) {
        Interpreter it = new Interpreter(g, w, false);
        float[][] out = new float[PROMPT.length + NEXT.length][];
        Map<String, Value> r = it.run(inputs(PROMPT, 0), Map.of("T", (long) PROMPT.length, "L", (long) PROMPT.length));
        float[] all = r.get(LlamaLifter.LOGITS).f32();
        int v = all.length / PROMPT.length;
        for (int t = 0; t < PROMPT.length; t++) out[t] = java.util.Arrays.copyOfRange(all, t * v, (t + 1) * v);
        for (int i = 0; i < NEXT.length; i++) {
            int pos = PROMPT.length + i;
            r = it.run(inputs(new int[] {NEXT[i]}, pos), Map.of("T", 1L, "L", (long) pos + 1));
            out[pos] = r.get(LlamaLifter.LOGITS).f32().clone();
        }
        return out;
    }

    static Map<String, Value> inputs(int[] tokens, int start) {
        int[] pos = new int[tokens.length];
        for (int i = 0; i < pos.length; i++) pos[i] = start + i;
        return Map.of(LlamaLifter.TOKENS, Value.ofI32(new long[] {tokens.length}, tokens), LlamaLifter.POSITIONS, Value.ofI32(new long[] {pos.length}, pos));
    }

    static float[][] run(CompiledModel m, Plan plan) {
        int logits = plan.outputIndex(LlamaLifter.LOGITS);
        int tok = plan.inputs().indexOf(LlamaLifter.TOKENS), posIn = plan.inputs().indexOf(LlamaLifter.POSITIONS);
        float[][] out = new float[PROMPT.length + NEXT.length][];
        int[][] in = new int[2][];
        in[tok] = PROMPT;
        in[posIn] = new int[] {0, 1, 2, 3, 4};
        m.step(PROMPT.length, PROMPT.length, in);
        float[] all = m.output(logits);
        int v = TinyLlama.VOCAB;
        for (int t = 0; t < PROMPT.length; t++) out[t] = java.util.Arrays.copyOfRange(all, t * v, (t + 1) * v);
        for (int i = 0; i < NEXT.length; i++) {
            int pos = PROMPT.length + i;
            in[tok] = new int[] {NEXT[i]};
            in[posIn] = new int[] {pos};
            m.step(1, pos + 1, in);
            out[pos] = java.util.Arrays.copyOf(m.output(logits), v);
        }
        return out;
    }

    /** Max |difference| relative to the largest reference logit. */
    static double relativeError(float[][] want, float[][] got) {
        double worst = 0, scale = 0;
        for (int t = 0; t < want.length; t++) {
            for (int j = 0; j < want[t].length; j++) {
                worst = Math.max(worst, Math.abs(want[t][j] - got[t][j]));
                scale = Math.max(scale, Math.abs(want[t][j]));
            }
        }
        return worst / scale;
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void planExecutorMatchesTheInterpreter(DType t) {
        planMatchesInterpreter(t, false);
    }

    /** The same with small weights decoded into packed f32 tiles (what a model this small gets by default). */
    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void packedPlanMatchesTheInterpreter(DType t) {
        Path file = TinyLlama.write(tmp, t, 5 + t.ordinal());
        try (GgufFile f = GgufFile.open(file); WorkerPool pool = new WorkerPool(2, true)) {
            Graph g = LlamaLifter.lift(f, new LlamaLifter.Options(32, true, DType.F32));
            GgufWeights w = new GgufWeights(f);
            float[][] want = reference(g, w);
            Plan plan = Lowering.lower(g, 8, true);
            assertTrue(!plan.packed().isEmpty(), plan.dump());
            try (ModelBinding b = new ModelBinding(w, pool, 32)) {
                double err = relativeError(want, run(new PlanExecutor(plan, b), plan));
                System.out.printf("vector plan %-5s packed: max |logit diff| / max |logit| = %.3g%n", t, err);
                assertTrue(err < 1e-4, t + ": relative logit error " + err);
            }
        }
    }

    /** With llama.cpp's Q8_0 activations (the rewrite changes Q4_0/Q5_0/Q8_0 models only). */
    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q5_0"})
    void quantizedActivationsMatchTheInterpreter(DType t) {
        planMatchesInterpreter(t, true);
    }

    /**
     * The passes' default vector pipeline (fused norm/GLU/residual/attention ops, activations rounded
     * inside fused ops by {@code act_quant}) lowered, against the interpreter running the same graph.
     */
    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q4_K", "Q6_K"})
    void defaultPipelineMatchesTheInterpreter(DType t) {
        Path file = TinyLlama.write(tmp, t, 3 + t.ordinal());
        try (GgufFile f = GgufFile.open(file); WorkerPool pool = new WorkerPool(2, true)) {
            GgufWeights w = new GgufWeights(f);
            Graph lifted = LlamaLifter.lift(f, new LlamaLifter.Options(32, true, DType.F32));
            Graph g = new ggufc.passes.PassManager(ggufc.passes.Pipelines.defaultFor("vector"), ggufc.passes.PassManager.Options.defaults())
                    .run(lifted, new ggufc.passes.PassContext(ggufc.passes.Targets.VECTOR, w)).graph();
            assertTrue(g.nodes().stream().anyMatch(n -> ggufc.ir.OpKind.FUSED.contains(n.op())), "the pipeline fused something");
            float[][] want = reference(g, w);
            boolean quantized = g.nodes().stream().anyMatch(n -> Boolean.TRUE.equals(n.attrs().get(ggufc.ir.TypeRules.ACT_QUANT)));
            for (boolean packSmall : new boolean[] {false, true}) {
                Plan plan = Lowering.lower(g, 8, packSmall);
                if (quantized) assertTrue(plan.dump().contains("(q8_") || plan.dump().contains("(f16 ") || plan.dump().contains("(bf16 "), plan.dump());
                try (ModelBinding b = new ModelBinding(w, pool, 32)) {
                    double err = relativeError(want, run(new PlanExecutor(plan, b), plan));
                    System.out.printf("vector plan %-5s default pipeline%s%s: max |logit diff| / max |logit| = %.3g%n", t, quantized ? " (rounded activations)" : "",
                            packSmall ? ", packed" : "", err);
                    assertTrue(err < (quantized ? 2e-2 : 1e-4), t + (packSmall ? " packed" : "") + ": relative logit error " + err);
                }
            }
        }
    }

    void planMatchesInterpreter(DType t, boolean quantizeActivations) {
        Path file = TinyLlama.write(tmp, t, 7 + t.ordinal());
        try (GgufFile f = GgufFile.open(file); WorkerPool pool = new WorkerPool(2, true)) {
            Graph g = LlamaLifter.lift(f, new LlamaLifter.Options(32, true, DType.F32));
            if (quantizeActivations) {
                g = QuantizeActivations.apply(g);
                assertTrue(g.nodes().stream().anyMatch(n -> n.op() == ggufc.ir.OpKind.QUANTIZE), "the rewrite applies to " + t);
            }
            GgufWeights w = new GgufWeights(f);
            float[][] want = reference(g, w);
            Plan plan = Lowering.lower(g, 8, false); // the block kernels (this model is small enough to be packed)
            try (ModelBinding b = new ModelBinding(w, pool, 32)) {
                double err = relativeError(want, run(new PlanExecutor(plan, b), plan));
                System.out.printf("vector plan %-5s%s: max |logit diff| / max |logit| = %.3g%n", t, quantizeActivations ? " (q8_0 activations)" : "", err);
                // quantized activations are discontinuous: where an activation sits on a rounding
                // boundary, the last-ulp differences of another summation order move it one Q8_0 level
                // (max|x|/127 of its block), which shows as up to ~1% of the logit scale
                assertTrue(err < (quantizeActivations ? 2e-2 : 1e-4), t + ": relative logit error " + err);
            }
        }
    }

    @Test
    void generatedClassMatchesTheInterpreter() throws Exception {
        // one model mixing the weight dtypes, so one compile exercises every kernel family
        Map<String, DType> byKind = Map.of("attn_q", DType.Q8_0, "attn_k", DType.Q4_0, "attn_v", DType.Q5_1, "attn_output", DType.Q4_K,
                "ffn_gate", DType.Q5_K, "ffn_up", DType.Q6_K, "ffn_down", DType.Q4_1, "token_embd", DType.BF16, "output", DType.F16);
        Path file = TinyLlama.write(tmp, "mixed", name -> {
            String kind = name.replaceAll("^blk\\.\\d+\\.", "").replace(".weight", "");
            return kind.equals("attn_v") && name.startsWith("blk.1.") ? DType.Q5_0 : byKind.getOrDefault(kind, DType.F32);
        }, 11);
        try (GgufFile f = GgufFile.open(file); WorkerPool pool = new WorkerPool(2, true)) {
            Graph g = QuantizeActivations.apply(LlamaLifter.lift(f, new LlamaLifter.Options(32, true, DType.F32)));
            GgufWeights w = new GgufWeights(f);
            float[][] want = reference(g, w);
            Plan plan = Lowering.lower(g, 8, false);
            assertTrue(plan.dump().contains("matmul(q8_0 "), plan.dump());
            JavaFile src = JavaEmitter.emit(plan, "TinyMixed", "test");
            Path srcDir = tmp.resolve("src"), classes = tmp.resolve("classes");
            src.writeTo(srcDir);
            Path javaFile = srcDir.resolve(JavaEmitter.PACKAGE.replace('.', '/')).resolve("TinyMixed.java");
            SourceCompiler.compile(List.of(javaFile), classes);
            assertTrue(Files.isRegularFile(classes.resolve("ggufc/generated/TinyMixed.class")));
            try (ModelBinding b = new ModelBinding(w, pool, 32)) {
                CompiledModel m = SourceCompiler.instantiate(SourceCompiler.load(classes, JavaEmitter.PACKAGE + ".TinyMixed"), b);
                double err = relativeError(want, run(m, plan));
                System.out.printf("generated class (mixed dtypes): max |logit diff| / max |logit| = %.3g%n", err);
                assertTrue(err < 1e-4, "relative logit error " + err);
                // a second prompt after reset gives the same logits (the caches were emptied)
                m.reset();
                assertTrue(relativeError(want, run(m, plan)) < 1e-4, "after reset");
            }
        }
    }
}
