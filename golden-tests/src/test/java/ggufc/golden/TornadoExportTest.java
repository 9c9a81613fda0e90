package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.source.util.JavacTask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `compile --target tornado` on stories260K: the generated Maven project is valid Java with one
 * KernelContext method per kernel of the plan and one task per decode launch; with a TornadoVM SDK
 * at hand ($TORNADO_SDK) it must compile against the SDK's tornado-api, and without one that check
 * reports as skipped, saying so.
 */
class TornadoExportTest {
    static Path export(Path dir) {
        CliTest.Run r = CliTest.ggufc("compile", "--model", Goldens.sharedModel("stories260K.gguf").toString(), "--target", "tornado", "-o", dir.toString(), "--ctx", "256");
        assertEquals(0, r.exit(), r.err());
        return dir.resolve("stories260K-tornado");
    }

    static List<Path> sources(Path project) throws IOException {
        try (Stream<Path> s = Files.walk(project.resolve("src/main/java"))) {
            return s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
    }

    @Test
    void generatedProjectParsesWithOneTaskPerLaunch(@TempDir Path dir) throws IOException {
        Path project = export(dir);
        assertTrue(Files.isRegularFile(project.resolve("pom.xml")) && Files.readString(project.resolve("pom.xml")).contains("<artifactId>tornado-api</artifactId>"));
        List<Path> src = sources(project);
        assertEquals(List.of("Kernels.java", "Main.java", "StepGraph.java"), src.stream().map(p -> p.getFileName().toString()).toList());
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diags = new DiagnosticCollector<>();
        try (StandardJavaFileManager fm = javac.getStandardFileManager(diags, null, null)) {
            JavacTask task = (JavacTask) javac.getTask(null, fm, diags, List.of("--release", "21"), null, fm.getJavaFileObjectsFromPaths(src));
            task.parse();
        }
        assertTrue(diags.getDiagnostics().isEmpty(), diags.getDiagnostics().toString());

        String plan = Files.readString(dir.resolve("stories260K.tornado.plan.txt"));
        List<String> launched = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^launch (\\S+) .*").matcher(plan);
        while (m.find()) if (!m.group().contains("when T > 1")) launched.add(m.group(1));
        String kernels = Files.readString(project.resolve("src/main/java/ggufc/generated/Kernels.java"));
        for (String k : launched) assertTrue(kernels.contains("public static void " + k + "(KernelContext context"), "no KernelContext method for " + k);
        String step = Files.readString(project.resolve("src/main/java/ggufc/generated/StepGraph.java"));
        assertEquals(launched.size(), step.split("\\.task\\(\"t").length - 1, "one task per decode launch (argmax included)");
    }

    @Test
    void compilesAgainstTheTornadoVmApi(@TempDir Path dir) throws IOException {
        String sdk = System.getenv("TORNADO_SDK");
        List<Path> jars = new ArrayList<>();
        if (sdk != null && Files.isDirectory(Path.of(sdk))) {
            try (Stream<Path> s = Files.walk(Path.of(sdk))) {
                s.filter(p -> p.getFileName().toString().matches("tornado-api.*\\.jar")).forEach(jars::add);
            }
        }
        Assumptions.assumeFalse(jars.isEmpty(), "no TornadoVM SDK here ($TORNADO_SDK unset or without a tornado-api jar): the generated source was not compiled against the TornadoVM API");
        Path project = export(dir);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diags = new DiagnosticCollector<>();
        try (StandardJavaFileManager fm = javac.getStandardFileManager(diags, null, null)) {
            String cp = String.join(java.io.File.pathSeparator, jars.stream().map(Path::toString).toList());
            boolean ok = javac.getTask(null, fm, diags, List.of("--release", "21", "-cp", cp, "-d", dir.resolve("classes").toString()), null,
                    fm.getJavaFileObjectsFromPaths(sources(project))).call();
            assertTrue(ok, diags.getDiagnostics().toString());
        }
    }
}
