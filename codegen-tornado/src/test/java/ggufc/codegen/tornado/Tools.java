package ggufc.codegen.tornado;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** External validators the renderer tests run (ptxas from CUDA, spirv-val from SPIRV-Tools). */
final class Tools {
    private Tools() {}

    record Result(int exit, String output) {}

    /** The first executable found among {@code candidates} (absolute paths, or names on $PATH); a test failure naming how to install it otherwise. */
    static Path find(String tool, String install, String... candidates) {
        for (String c : candidates) {
            Path p = Path.of(c);
            if (p.isAbsolute()) {
                if (Files.isExecutable(p)) return p;
                continue;
            }
            for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
                Path q = Path.of(dir).resolve(c);
                if (Files.isExecutable(q)) return q;
            }
        }
        throw new AssertionError(tool + " not found (looked for " + String.join(", ", candidates) + "); " + install);
    }

    static Path ptxas() {
        String home = System.getenv("CUDA_HOME");
        List<String> c = new ArrayList<>();
        if (home != null) c.add(home + "/bin/ptxas");
        c.add("/usr/local/cuda-13.0/bin/ptxas");
        c.add("/usr/local/cuda/bin/ptxas");
        c.add("ptxas");
        return find("ptxas", "it comes with the CUDA toolkit (set $CUDA_HOME)", c.toArray(String[]::new));
    }

    static Path spirvVal() { return find("spirv-val", "install it with `apt-get install spirv-tools`", "spirv-val"); }

    static Result run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Result(p.waitFor(), out);
        } catch (IOException e) {
            throw new AssertionError("running " + cmd + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
