package ggufc.codegen.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.codegen.tornado.render.PtxRenderer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every kernel of the catalog, rendered to PTX, assembles with NVIDIA's ptxas for sm_80 and sm_90 without errors or warnings. */
class PtxAssemblesTest {
    @ParameterizedTest
    @ValueSource(strings = {"sm_80", "sm_90"})
    void everyKernelAssembles(String arch, @TempDir Path dir) throws IOException {
        Path ptx = dir.resolve("kernels.ptx"), cubin = dir.resolve("kernels.cubin");
        Files.writeString(ptx, PtxRenderer.module(KernelCatalog.all(), arch));
        Tools.Result r = Tools.run(List.of(Tools.ptxas().toString(), "-arch=" + arch, "-O3", "--warning-as-error", ptx.toString(), "-o", cubin.toString()));
        assertEquals(0, r.exit(), "ptxas " + arch + ":\n" + r.output());
        assertTrue(Files.size(cubin) > 0);
    }
}
