package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import ggufc.ir.Graph;
import ggufc.ir.text.IrParser;
import ggufc.ir.text.IrPrinter;
import ggufc.passes.Pass;
import ggufc.passes.PassContext;
import ggufc.passes.PassManager;
import ggufc.passes.PassRegistry;
import ggufc.passes.Target;
import ggufc.passes.Targets;
import ggufc.passes.check.Equivalence;
import ggufc.passes.split.SplitModes;
import ggufc.passes.split.SplitOptions;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden IR per pass, in the MLIR style: {@code src/test/resources/passes/<pass>/<case>.ir} holds
 * <pre>
 * // RUN: --passes=fuse-attention [--target=interp]
 * // what the case shows
 * graph @case { ...input... }
 * // EXPECTED:
 * graph @case { ...what the passes must produce... }
 * </pre>
 * The folder is the pass's name ({@code pipeline/} for whole pipelines). The input runs through
 * the pass manager (verifying after each pass and checking each on the interpreter); its printed
 * result must equal the printed expected graph, else the test fails with a unified diff. The
 * expected graph is also checked against the input on the interpreter, so a golden file cannot
 * bless a result that computes something else. {@code -Dgolden.update=true} rewrites the EXPECTED
 * part with what the passes produce; review the diff before committing.
 *
 * <p>The split passes ({@code split-layer}, {@code split-row}, {@code split-tensor}, {@code split-graph}) take
 * their options from the RUN line as {@code ggufc run} spells them: {@code --split-devices=3 --tensor-split=1,2,1
 * --main-gpu=1 --reduce-type=bf16} (defaults: 2 devices, even, device 0, f32). For them the interpreter check
 * must run (a probe the interpreter cannot build fails the case instead of skipping it).
 */
class PassGoldenTest {
    static final String EXPECTED = "// EXPECTED:";
    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    static Path root() {
        Path p = Path.of("src/test/resources/passes");
        if (!Files.isDirectory(p)) p = Path.of("golden-tests/src/test/resources/passes");
        return p;
    }

    static Stream<Path> cases() throws IOException {
        try (Stream<Path> s = Files.walk(root())) {
            return s.filter(p -> p.toString().endsWith(".ir")).sorted().toList().stream();
        }
    }

    record Golden(List<String> runArgs, String input, String expected) {
        static Golden read(Path file) throws IOException {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            String first = text.lines().findFirst().orElse("");
            if (!first.startsWith("// RUN:")) throw new AssertionError(file + ": the first line must be '// RUN: --passes=...'");
            int at = text.indexOf("\n" + EXPECTED + "\n");
            if (at < 0) throw new AssertionError(file + ": no '" + EXPECTED + "' line");
            return new Golden(List.of(first.substring("// RUN:".length()).strip().split("\\s+")), text.substring(0, at + 1),
                    text.substring(at + EXPECTED.length() + 2));
        }

        String arg(String name, String otherwise) {
            for (String a : runArgs) if (a.startsWith("--" + name + "=")) return a.substring(name.length() + 3);
            return otherwise;
        }

        static final List<String> SPLIT_ARGS = List.of("split-devices", "tensor-split", "main-gpu", "reduce-type");

        /** The split options of the RUN line, or null when it gives none. */
        SplitOptions splitOptions() {
            if (SPLIT_ARGS.stream().allMatch(a -> arg(a, null) == null)) return null;
            return new SplitOptions(Integer.parseInt(arg("split-devices", "2")), SplitOptions.parseProportions(arg("tensor-split", null)),
                    Integer.parseInt(arg("main-gpu", "0")), arg("reduce-type", "f32"));
        }

        boolean splits() { return arg("passes", "").contains("split-"); }

        /** The RUN line's passes, each split pass built with the RUN line's split options. */
        List<Pass> passes(Target target) {
            SplitOptions opt = splitOptions();
            if (opt != null && !splits()) throw new AssertionError("split options " + SPLIT_ARGS + " without a split pass in " + runArgs);
            List<Pass> r = new ArrayList<>();
            for (Pass p : PassRegistry.parse(arg("passes", "none"), target)) {
                r.add(opt != null && p.name().startsWith("split-") ? SplitModes.pass(p.name().substring("split-".length()), opt) : p);
            }
            return r;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void passOutputMatchesTheGolden(Path file) throws IOException {
        Golden g = Golden.read(file);
        Target target = Targets.byName(g.arg("target", "interp"));
        Graph input = IrParser.parse(g.input(), file.toString());
        List<Pass> passes = g.passes(target);
        PassManager pm = new PassManager(passes,
                PassManager.Options.defaults().withCheckEach(true).withLog(QUIET));
        Graph actual = pm.run(input, new PassContext(target, Equivalence.randomParams(input, 5))).graph();
        String got = IrPrinter.print(actual);
        if (Boolean.getBoolean("golden.update")) {
            Files.writeString(file, g.input() + EXPECTED + "\n" + got, StandardCharsets.UTF_8);
            return;
        }
        Graph expected = IrParser.parse(g.expected(), file + " (expected)");
        String want = IrPrinter.print(expected);
        if (!want.equals(got)) {
            List<String> diff = UnifiedDiffUtils.generateUnifiedDiff("expected", "actual", want.lines().toList(),
                    DiffUtils.diff(want.lines().toList(), got.lines().toList()), 3);
            fail(file + ": the passes' output differs from the golden (-Dgolden.update=true rewrites it):\n" + String.join("\n", diff));
        }
        Equivalence.Probe probe = Equivalence.Probe.forGraph(input, Equivalence.randomParams(input, 5), 3);
        if (g.splits()) assertNotNull(probe, file + ": the interpreter cannot run the input, so the split is not checked");
        if (probe != null) {
            Optional<String> d = probe.compare(input, expected, passes.stream().allMatch(Pass::exact));
            assertTrue(d.isEmpty(), () -> file + ": the expected graph computes something else than the input: " + d.get());
        }
    }

    @Test
    void everyFolderIsAPassName() throws IOException {
        try (Stream<Path> s = Files.list(root())) {
            for (Path dir : s.toList()) {
                String name = dir.getFileName().toString();
                assertTrue(name.equals("pipeline") || PassRegistry.names().contains(name), name + " is no pass name (known: " + PassRegistry.names() + ")");
            }
        }
    }

    @Test
    void everyPassHasAGolden() throws IOException {
        for (String pass : PassRegistry.names()) {
            Path dir = root().resolve(pass);
            assertTrue(Files.isDirectory(dir), "no golden folder for " + pass);
        }
    }
}
