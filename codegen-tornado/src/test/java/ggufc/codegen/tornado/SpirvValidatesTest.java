package ggufc.codegen.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ggufc.codegen.tornado.render.SpirvRenderer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kernel of the catalog, as one binary SPIR-V module, passes spirv-val for the OpenCL 1.2 and 2.0 environments. */
class SpirvValidatesTest {
    @Test
    void everyKernelValidates(@TempDir Path dir) throws IOException {
        Path spv = dir.resolve("kernels.spv");
        Files.write(spv, SpirvRenderer.module(KernelCatalog.all()));
        for (String env : List.of("opencl1.2", "opencl2.0")) {
            Tools.Result r = Tools.run(List.of(Tools.spirvVal().toString(), "--target-env", env, spv.toString()));
            assertEquals(0, r.exit(), "spirv-val --target-env " + env + ":\n" + r.output());
        }
    }
}
