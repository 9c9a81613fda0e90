package ggufc.runtime.device;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * SPIR-V to SPIR 1.2 (LLVM bitcode with OpenCL builtins) through the Khronos translator
 * ({@code llvm-spirv -r}), for OpenCL drivers that take SPIR but not SPIR-V, such as PoCL 3.
 */
final class SpirTranslator {
    private SpirTranslator() {}

    static byte[] toSpir12(byte[] spirv) {
        String tool = find();
        try {
            Path dir = Files.createTempDirectory("ggufc-spir");
            try {
                Path in = dir.resolve("kernels.spv"), out = dir.resolve("kernels.bc");
                Files.write(in, spirv);
                Process p = new ProcessBuilder(List.of(tool, "-r", "--spirv-target-env=CL1.2", in.toString(), "-o", out.toString())).redirectErrorStream(true).start();
                String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (p.waitFor() != 0) throw new DeviceException(tool + " could not translate the SPIR-V module: " + log.strip());
                return Files.readAllBytes(out);
            } finally {
                try (var files = Files.list(dir)) {
                    for (Path f : files.toList()) Files.deleteIfExists(f);
                }
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw new DeviceException("translating SPIR-V to SPIR: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DeviceException("interrupted while translating SPIR-V");
        }
    }

    private static String find() {
        for (String name : List.of("llvm-spirv", "llvm-spirv-14", "llvm-spirv-15", "llvm-spirv-16")) {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) return Path.of(dir, name).toString();
            }
        }
        throw new DeviceException("running SPIR-V on a SPIR-only driver needs the Khronos translator llvm-spirv (`apt-get install llvm-spirv-14`)");
    }
}
