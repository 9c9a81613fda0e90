package ggufc.cli;

import ggufc.ir.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "compile", mixinStandardHelpOptions = true,
        description = {"Compile a model ahead of time to kernels for a target, with the launch plan of one step.",
                "GPU targets: opencl (OpenCL C 1.2), ptx (PTX ISA 8.0 for sm_80 and sm_90), spirv (binary SPIR-V, OpenCL flavour),",
                "tornado (a Maven project of TornadoVM TaskGraph + KernelContext Java)."})
final class CompileCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "GGUF", description = "Model file.")
    String model;

    @Option(names = {"-t", "--target"}, required = true, description = "opencl, ptx, spirv or tornado.")
    String target;

    @Option(names = {"-o", "--output"}, defaultValue = ".", description = "Output folder (default: the current one).")
    Path output;

    @Option(names = {"-c", "--ctx"}, defaultValue = "0", description = "KV cache size in tokens; 0 = the model's training context (default).")
    int ctx;

    @Option(names = "--batch", defaultValue = "512", description = "Most tokens per step; longer prompts run in chunks (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--kv-type", defaultValue = "f32", description = "KV cache element type: f32 or f16 (default: ${DEFAULT-VALUE}).")
    String kvType;

    @Override
    public Integer call() throws Exception {
        if (!GpuTargets.handles(target)) {
            throw new IllegalArgumentException("unknown target '" + target + "' (this build compiles for: " + String.join(", ", GpuTargets.TARGETS) + ")");
        }
        DType kv = switch (kvType) {
            case "f32" -> DType.F32;
            case "f16" -> DType.F16;
            default -> throw new IllegalArgumentException("--kv-type must be f32 or f16, got '" + kvType + "'");
        };
        List<Path> files = GpuTargets.compile(ModelLocator.resolve(model), target, output, ctx, batch, kv);
        for (Path p : files) System.out.printf("%s  %d bytes%n", p, Files.isDirectory(p) ? 0 : Files.size(p));
        return 0;
    }
}
