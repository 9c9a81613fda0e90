package ggufc.runtime.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ggufc.gguf.GgufFile;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.lift.GgufWeights;
import ggufc.lift.LlamaLifter;
import ggufc.runtime.Generator;
import ggufc.runtime.InterpreterExecutor;
import ggufc.runtime.SamplerOptions;
import ggufc.tokenizer.Tokenizer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The SPIR-V renderer's output executed: PoCL takes no SPIR-V, so the module goes through the
 * Khronos translator to SPIR 1.2 and runs on PoCL. The whole stories260K model must give the
 * interpreter's greedy tokens, so every kernel the model uses is checked as SPIR-V, not only
 * validated.
 */
class SpirvOnPoclTest {
    @Test
    void storiesGreedyFromSpirvKernelsMatchesTheInterpreter() {
        Path model = Path.of(System.getProperty("ggufc.models"), "stories260K.gguf");
        try (GgufFile f = GgufFile.open(model)) {
            Graph g = LlamaLifter.lift(f, new LlamaLifter.Options(128, false, DType.F32));
            Tokenizer tok = Tokenizer.fromGguf(f);
            int[] prompt = tok.encode("Once upon a time", true, false);
            InterpreterExecutor interp = new InterpreterExecutor(g, new GgufWeights(f), 128);
            int[] want = new Generator(interp, tok).generate(prompt, 32, SamplerOptions.greedy(), true, s -> {}).generated();
            try (DeviceExecutor dev = new DeviceExecutor(g, new GgufWeights(f), 128, 32, GpuOracle.device(OpenClDevice.Source.SPIRV), false)) {
                int[] got = new Generator(dev, tok).generate(prompt, 32, SamplerOptions.greedy(), true, s -> {}).generated();
                assertArrayEquals(want, got, "greedy tokens from the SPIR-V kernels");
            }
        }
    }
}
