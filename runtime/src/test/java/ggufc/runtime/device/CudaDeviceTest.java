package ggufc.runtime.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * The CUDA device. Where NVIDIA's driver and a GPU exist, the whole stories260K model runs from our
 * PTX and must give the interpreter's greedy tokens; everywhere else (this project's machines) the
 * device must say cleanly that there is no driver, and list nothing.
 */
class CudaDeviceTest {
    @Test
    void runsTheModelOrReportsNoDriver() {
        if (!CudaDevice.available()) {
            assertTrue(CudaDevice.list().isEmpty());
            DeviceException e = assertThrows(DeviceException.class, () -> CudaDevice.open(0));
            assertTrue(e.getMessage().startsWith("no CUDA driver") || e.getMessage().startsWith("the CUDA driver did not initialise") || e.getMessage().startsWith("no CUDA device"),
                    e.getMessage());
            return;
        }
        Path model = Path.of(System.getProperty("ggufc.models"), "stories260K.gguf");
        try (GgufFile f = GgufFile.open(model)) {
            Graph g = LlamaLifter.lift(f, new LlamaLifter.Options(128, false, DType.F32));
            Tokenizer tok = Tokenizer.fromGguf(f);
            int[] prompt = tok.encode("Once upon a time", true, false);
            int[] want = new Generator(new InterpreterExecutor(g, new GgufWeights(f), 128), tok).generate(prompt, 32, SamplerOptions.greedy(), true, s -> {}).generated();
            try (DeviceExecutor dev = new DeviceExecutor(g, new GgufWeights(f), 128, 32, CudaDevice.open(0), true)) {
                assertArrayEquals(want, new Generator(dev, tok).generate(prompt, 32, SamplerOptions.greedy(), true, s -> {}).generated());
            }
        }
    }

    @Test
    void unknownDeviceIdsAreRejectedWithTheAccepted() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Devices.open("opencl"));
        assertEquals("--device must be cpu, opencl:N, opencl:N:spirv or cuda:N, got 'opencl'", e.getMessage());
    }
}
