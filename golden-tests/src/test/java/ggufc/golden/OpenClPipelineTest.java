package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.gguf.GgufFile;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.ir.OpKind;
import ggufc.ir.TypeRules;
import ggufc.lift.GgufWeights;
import ggufc.lift.LlamaLifter;
import ggufc.passes.PassContext;
import ggufc.passes.PassManager;
import ggufc.passes.Pipelines;
import ggufc.passes.Target;
import ggufc.passes.Targets;
import ggufc.runtime.Generator;
import ggufc.runtime.InterpreterExecutor;
import ggufc.runtime.SamplerOptions;
import ggufc.runtime.device.DeviceExecutor;
import ggufc.runtime.device.OpenClDevice;
import ggufc.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused graphs of the passes on OpenCL: the opencl target's default pipeline (norm_matmul,
 * glu_matmul, matmul_add, rope_kv_write, attention, kernel groups), and the same pipeline for a
 * target with integer dot products (quantize nodes and {@code act_quant} on fused ops), on
 * stories260K F32 and Q8_0. The device must give the interpreter's 64 greedy tokens on the same
 * graph for every golden prompt.
 */
class OpenClPipelineTest {
    static final Target OPENCL_INTEGER_DOT = new Target("opencl-int", "opencl with llama.cpp's activation types", Targets.OPENCL.fusedOps(),
            Targets.OPENCL.rawWeightTypes(), true, Targets.OPENCL.kernelGroups());

    static Stream<Arguments> cases() {
        Path f32 = Goldens.sharedModel("stories260K.gguf"), q8 = Goldens.root().resolve("models/stories260K-Q8_0.gguf");
        return Stream.of(Arguments.of("F32", f32, Targets.OPENCL), Arguments.of("Q8_0", q8, Targets.OPENCL), Arguments.of("Q8_0", q8, OPENCL_INTEGER_DOT));
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("cases")
    void fusedGraphGivesTheInterpretersTokens(String name, Path model, Target target) {
        try (GgufFile f = GgufFile.open(model); OpenClDevice device = OpenClDevice.open(0)) {
            GgufWeights weights = new GgufWeights(f);
            Graph lifted = LlamaLifter.lift(f, new LlamaLifter.Options(256, false, DType.F32));
            Graph g = new PassManager(Pipelines.forTarget(target), PassManager.Options.defaults()).run(lifted, new PassContext(target, weights)).graph();
            assertTrue(g.nodes().stream().anyMatch(n -> n.op() == OpKind.NORM_MATMUL || n.op() == OpKind.NORM_GLU_MATMUL), "the pipeline fused nothing");
            if (target == OPENCL_INTEGER_DOT) {
                assertTrue(g.nodes().stream().anyMatch(n -> n.op() == OpKind.QUANTIZE || Boolean.TRUE.equals(n.attrs().get(TypeRules.ACT_QUANT))), "no activation rounding");
            }
            Tokenizer tok = Tokenizer.fromGguf(f);
            InterpreterExecutor interp = new InterpreterExecutor(g, weights, 256);
            try (DeviceExecutor ex = new DeviceExecutor(g, weights, 256, 64, device, false)) {
                for (String prompt : Goldens.prompts()) {
                    int[] ids = tok.encode(prompt, true, false);
                    int[] want = new Generator(interp, tok).generate(ids, 64, SamplerOptions.greedy(), true, s -> {}).generated();
                    int[] got = new Generator(ex, tok).generate(ids, 64, SamplerOptions.greedy(), true, s -> {}).generated();
                    assertArrayEquals(want, got, name + " " + target.name() + " \"" + prompt + "\"");
                }
            }
        }
    }

}
