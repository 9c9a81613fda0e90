package ggufc.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ggufc.ir.Graph;
import ggufc.ir.TensorData;
import ggufc.ir.text.IrParser;
import ggufc.ir.text.IrPrinter;
import java.io.PrintStream;
import java.io.OutputStream;
import java.util.List;
import java.util.function.Function;

/** Test helpers: graphs from IR text, passes run through the manager (verify and interpreter check on). */
final class Ir {
    private Ir() {}

    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    static Graph parse(String text) { return IrParser.parse(text, "test.ir"); }

    static String print(Graph g) { return IrPrinter.print(g); }

    /** Canonical text of {@code text} (renumbered, attributes sorted). */
    static String canonical(String text) { return print(parse(text)); }

    static PassManager.Options checked() {
        return PassManager.Options.defaults().withCheckEach(true).withLog(QUIET);
    }

    /** Runs the named passes for {@code target}, verifying and checking meaning on the interpreter after each. */
    static Graph run(Graph g, Target target, String passes) { return run(g, target, passes, null); }

    static Graph run(Graph g, Target target, String passes, Function<String, TensorData> weights) {
        return manager(target, passes).run(g, new PassContext(target, weights)).graph();
    }

    static PassManager manager(Target target, String passes) {
        return new PassManager(PassRegistry.parse(passes, target), checked());
    }

    static Graph run(String text, Target target, String passes) { return run(parse(text), target, passes); }

    /** The pass output equals the expected IR text (compared as canonical text, so the diff is readable). */
    static void assertIr(String expected, Graph actual) {
        assertEquals(canonical(expected), print(actual));
    }

    static List<String> names(List<Pass> ps) { return ps.stream().map(Pass::name).toList(); }
}
