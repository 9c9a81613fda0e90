package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GPU side of the CLI end to end: `run --device opencl:0` prints llama.cpp's greedy text (the
 * issue's done-when command), `devices` lists PoCL and says why CUDA is missing, and
 * `compile --target ptx|spirv|opencl` writes modules for the real model that NVIDIA's ptxas
 * assembles for sm_80 and sm_90 and that spirv-val accepts.
 */
class GpuCliTest {
    @Test
    void runOnOpenClPrintsLlamaCppGreedyText() throws IOException {
        CliTest.Run r = CliTest.ggufc("run", "--model", Goldens.sharedModel("stories260K.gguf").toString(), "--prompt", "Once upon a time", "-n", "32", "--temp", "0",
                "--device", "opencl:0");
        assertEquals(0, r.exit(), r.err());
        assertEquals(CliTest.readmeGreedy(), r.out());
        assertTrue(r.err().contains("on opencl:0"), r.err());
    }

    @Test
    void runFromSpirvKernelsPrintsTheSameText() throws IOException {
        CliTest.Run r = CliTest.ggufc("run", "--model", Goldens.sharedModel("stories260K.gguf").toString(), "--prompt", "Once upon a time", "-n", "32", "--temp", "0",
                "--device", "opencl:0:spirv", "--ctx", "128");
        assertEquals(0, r.exit(), r.err());
        assertEquals(CliTest.readmeGreedy(), r.out());
    }

    @Test
    void devicesListsPoclAndExplainsMissingCuda() {
        CliTest.Run r = CliTest.ggufc("devices");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("opencl:0  Portable Computing Language")), r.out());
        boolean cuda = r.out().lines().anyMatch(l -> l.startsWith("cuda:0"));
        assertTrue(cuda || r.out().contains("# cuda: no CUDA driver"), r.out());
    }

    @Test
    void unknownDeviceIsOneLineError() {
        CliTest.Run r = CliTest.ggufc("run", "--model", Goldens.sharedModel("stories260K.gguf").toString(), "--prompt", "x", "--device", "gpu");
        assertEquals(1, r.exit());
        assertEquals("ggufc: --device: 'gpu' is not a device (cpu, cpu:N, opencl:N, opencl:N.S, opencl:N:spirv, cuda:N; `ggufc devices` lists them)", r.err().strip());
    }

    @Test
    void compiledPtxAssemblesAndSpirvValidates(@TempDir Path dir) throws IOException {
        String model = Goldens.sharedModel("stories260K.gguf").toString();
        for (String target : List.of("opencl", "ptx", "spirv")) {
            CliTest.Run r = CliTest.ggufc("compile", "--model", model, "--target", target, "-o", dir.toString(), "--ctx", "256");
            assertEquals(0, r.exit(), r.err());
        }
        String cl = Files.readString(dir.resolve("stories260K.cl"));
        assertTrue(cl.contains("__kernel") && cl.contains("matvec_f32_k64_n64_res"), "OpenCL C source");
        String plan = Files.readString(dir.resolve("stories260K.ptx.plan.txt"), StandardCharsets.UTF_8);
        assertTrue(plan.contains("launch attn_decode_"), plan);
        for (String arch : List.of("sm_80", "sm_90")) {
            Path ptx = dir.resolve("stories260K." + arch + ".ptx");
            Result r = run(List.of(ptxas(), "-arch=" + arch, "--warning-as-error", ptx.toString(), "-o", dir.resolve(arch + ".cubin").toString()));
            assertEquals(0, r.exit(), "ptxas " + arch + ": " + r.out());
        }
        Result v = run(List.of("spirv-val", "--target-env", "opencl1.2", dir.resolve("stories260K.spv").toString()));
        assertEquals(0, v.exit(), "spirv-val: " + v.out());
    }

    record Result(int exit, String out) {}

    static String ptxas() {
        List<String> c = new ArrayList<>();
        if (System.getenv("CUDA_HOME") != null) c.add(System.getenv("CUDA_HOME") + "/bin/ptxas");
        c.addAll(List.of("/usr/local/cuda-13.0/bin/ptxas", "/usr/local/cuda/bin/ptxas"));
        for (String p : c) if (Files.isExecutable(Path.of(p))) return p;
        return "ptxas";
    }

    static Result run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Result(p.waitFor(), out);
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("running " + cmd + " failed (ptxas comes with CUDA, spirv-val with `apt-get install spirv-tools`): " + e.getMessage(), e);
        }
    }
}
