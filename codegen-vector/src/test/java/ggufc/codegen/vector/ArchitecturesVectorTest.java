package ggufc.codegen.vector;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.palantir.javapoet.JavaFile;
import ggufc.codegen.vector.kernels.WorkerPool;
import ggufc.codegen.vector.plan.Lowering;
import ggufc.codegen.vector.plan.Plan;
import ggufc.codegen.vector.plan.PlanExecutor;
import ggufc.gguf.GgmlType;
import ggufc.gguf.GgufFile;
import ggufc.gguf.GgufValue;
import ggufc.gguf.GgufWriter;
import ggufc.gguf.SyntheticLlama;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.lift.GgufWeights;
import ggufc.lift.Lifters;
import ggufc.lift.LlamaLifter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * qwen2 (Q/K/V biases: an add of an f32 weight), qwen3 (per-head RMS norm of Q and K on [T, H, Dh],
 * NEOX RoPE, head dim != n_embd / n_head), phi3 (fused QKV and gate/up: SPLIT, pre-scaled Q) and gemma3
 * (sliding-window attention with a 3-key window over the 8 positions, in layers 0 and 2 of 3; GeGLU;
 * post-norms; embedding scale), qwen3moe (4 experts of FFN 64, 2 per token: topk, take_along, sum_normalize,
 * matmul_id, weighted_sum steps), gemma2 (the same without q/k norms, window 3 in layers 0 and 2, and attention and final
 * logit soft-capping at 2 and 1) on
 * the vector target against the reference interpreter on the same graph, in F32 and Q8_0: the
 * lifted graph and the default vector pipeline, plain and with packed small weights, plus the
 * generated, compiled class. Logits of a 5-token prompt and 3 decode steps, as {@link CompiledModelTest}.
 */
class ArchitecturesVectorTest {
    @TempDir
    Path tmp;

    static Stream<Arguments> cases() {
        List<Arguments> r = new ArrayList<>();
        for (String arch : List.of("qwen2", "qwen3", "qwen3moe", "phi3", "gemma2", "gemma3")) for (GgmlType t : List.of(GgmlType.F32, GgmlType.Q8_0)) r.add(Arguments.of(arch, t));
        return r.stream();
    }

    /** A small model of {@code arch} (GQA 4/2, head dim 32; qwen3's heads do not tile n_embd) with a 96-token vocabulary. */
    Path model(String arch, GgmlType t) {
        Path vocab = tmp.resolve("vocab.gguf");
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < TinyLlama.VOCAB; i++) tokens.add("t" + i);
        new GgufWriter().put("tokenizer.ggml.model", GgufValue.of("llama")).put("tokenizer.ggml.tokens", GgufValue.strings(tokens)).write(vocab);
        SyntheticLlama.Config c = arch.equals("qwen3moe")
                ? new SyntheticLlama.Config(96, 192, 2, 4, 2, 64, 3, 1e-6f, 1e6f, false, false, arch, 32, 0, 0, 0f, 0f, new SyntheticLlama.Moe(4, 2, 64))
                : arch.equals("gemma2")
                ? new SyntheticLlama.Config(128, 192, 3, 4, 2, 64, 3, 1e-6f, 1e6f, true, false, arch, 32, 3, 0, 2f, 1f)
                : arch.equals("gemma3")
                ? new SyntheticLlama.Config(128, 192, 3, 4, 2, 64, 3, 1e-6f, 1e6f, false, false, arch, 32, 3, 2)
                : new SyntheticLlama.Config(arch.equals("qwen3") ? 96 : 128, 192, 2, 4, 2, 64, 3, 1e-6f, 1e6f, false, false, arch, arch.equals("qwen3") ? 32 : 0);
        Path out = tmp.resolve(arch + "-" + t + ".gguf");
        try (GgufFile v = GgufFile.open(vocab)) {
            SyntheticLlama.write(out, c, v, SyntheticLlama.TypePolicy.uniform(t));
        }
        return out;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void planAndGeneratedClassMatchTheInterpreter(String arch, GgmlType t) throws Exception {
        try (GgufFile f = GgufFile.open(model(arch, t)); WorkerPool pool = new WorkerPool(2, true)) {
            GgufWeights w = new GgufWeights(f);
            Graph lifted = Lifters.lift(f, new LlamaLifter.Options(32, true, DType.F32));
            Graph fused = new ggufc.passes.PassManager(ggufc.passes.Pipelines.defaultFor("vector"), ggufc.passes.PassManager.Options.defaults())
                    .run(lifted, new ggufc.passes.PassContext(ggufc.passes.Targets.VECTOR, w)).graph();
            boolean rounded = fused.nodes().stream().anyMatch(n -> Boolean.TRUE.equals(n.attrs().get(ggufc.ir.TypeRules.ACT_QUANT)));
            for (Graph g : List.of(lifted, fused)) {
                float[][] want = CompiledModelTest.reference(g, w);
                // rounded (q8_0) activations are discontinuous: see CompiledModelTest#planMatchesInterpreter
                double tol = g == fused && rounded ? 2e-2 : 1e-4;
                for (boolean packSmall : new boolean[] {false, true}) {
                    Plan plan = Lowering.lower(g, 8, packSmall);
                    try (ModelBinding b = new ModelBinding(w, pool, 32)) {
                        double err = CompiledModelTest.relativeError(want, CompiledModelTest.run(new PlanExecutor(plan, b), plan));
                        System.out.printf("vector plan %-5s %-4s %s%s: max |logit diff| / max |logit| = %.3g%n", arch, t, g == lifted ? "lifted" : "default pipeline",
                                packSmall ? ", packed" : "", err);
                        assertTrue(err < tol, arch + " " + t + (g == lifted ? " lifted" : " fused") + (packSmall ? " packed" : "") + ": relative logit error " + err);
                    }
                }
            }
            // the generated class of the lifted graph (the plan executor and the generated Java share each step's definition)
            Plan plan = Lowering.lower(lifted, 8, false);
            String cls = arch.substring(0, 1).toUpperCase() + arch.substring(1) + t;
            JavaFile src = JavaEmitter.emit(plan, cls, "test");
            Path srcDir = tmp.resolve("src"), classes = tmp.resolve("classes");
            src.writeTo(srcDir);
            SourceCompiler.compile(List.of(srcDir.resolve(JavaEmitter.PACKAGE.replace('.', '/')).resolve(cls + ".java")), classes);
            try (ModelBinding b = new ModelBinding(w, pool, 32)) {
                CompiledModel m = SourceCompiler.instantiate(SourceCompiler.load(classes, JavaEmitter.PACKAGE + "." + cls), b);
                double err = CompiledModelTest.relativeError(CompiledModelTest.reference(lifted, w), CompiledModelTest.run(m, plan));
                System.out.printf("generated class %-5s %-4s: max |logit diff| / max |logit| = %.3g%n", arch, t, err);
                assertTrue(err < 1e-4, arch + " " + t + " generated class: relative logit error " + err);
            }
        }
    }
}
