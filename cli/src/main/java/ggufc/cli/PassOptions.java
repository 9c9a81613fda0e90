package ggufc.cli;

import ggufc.ir.Graph;
import ggufc.ir.TensorData;
import ggufc.passes.Pass;
import ggufc.passes.PassContext;
import ggufc.passes.PassManager;
import ggufc.passes.PassRegistry;
import ggufc.passes.Target;
import ggufc.passes.Targets;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import picocli.CommandLine.Option;

/**
 * The pass-manager options, shared by {@code ggufc ir} and {@code ggufc compile} (add
 * {@code @Mixin PassOptions passes;} to a command, then {@code passes.run(graph, weights, System.err)}).
 */
public final class PassOptions {
    @Option(names = "--target", defaultValue = "vector", paramLabel = "NAME",
            description = "Target whose features pick the fusions: vector, interp, opencl, ptx, spirv, tornado, naive (default: ${DEFAULT-VALUE}).")
    String target;

    @Option(names = "--passes", defaultValue = "default", paramLabel = "LIST",
            description = "Comma-separated pass names, 'default' (the target's default pipeline, may be mixed with names) or 'none' (default: ${DEFAULT-VALUE}). See --list-passes.")
    String passes;

    @Option(names = "--print-ir-before", split = ",", paramLabel = "NAME", description = "Print the IR (to stderr) before these passes; 'all' for every pass.")
    List<String> printBefore = List.of();

    @Option(names = "--print-ir-after", split = ",", paramLabel = "NAME", description = "Print the IR (to stderr) after these passes; 'all' for every pass.")
    List<String> printAfter = List.of();

    @Option(names = "--print-ir-before-all", description = "Same as --print-ir-before=all.")
    boolean printBeforeAll;

    @Option(names = "--print-ir-after-all", description = "Same as --print-ir-after=all.")
    boolean printAfterAll;

    @Option(names = "--print-ir-after-change", description = "Print the IR after a pass only when it changed the graph (alone: after every such pass).")
    boolean printAfterChange;

    @Option(names = "--dump-dir", paramLabel = "DIR", description = "Write 00-input.ir, 01-<pass>.ir, ... (one file per pass) into DIR.")
    Path dumpDir;

    @Option(names = "--verify-each", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Run the IR verifier after every pass (default: on; --no-verify-each turns it off).")
    boolean verifyEach;

    @Option(names = "--check-each", description = "After every pass, run the graph before and after it on the reference interpreter (same random inputs, the model's weights) and fail on a difference.")
    boolean checkEach;

    @Option(names = "--pass-timings", description = "Print a table to stderr: time, ops, kernels and bytes per token after each pass.")
    boolean passTimings;

    @Option(names = "--at-context", defaultValue = "0", paramLabel = "L",
            description = "Context length for per-token costs (one decode step at L); 0 = the KV capacity, at most 512 (default).")
    long atContext;

    public Target target() { return Targets.byName(target); }

    public List<Pass> pipeline() { return PassRegistry.parse(passes, target()); }

    public PassManager.Options options(PrintStream log) {
        Set<String> before = new HashSet<>(printBefore), after = new HashSet<>(printAfter);
        if (printBeforeAll) before.add("all");
        if (printAfterAll) after.add("all");
        return new PassManager.Options(before, after, printAfterChange, dumpDir, verifyEach, checkEach, atContext, log);
    }

    /** Runs the chosen pipeline on {@code g}; dumps and the table (with --pass-timings) go to {@code log}. */
    public PassManager.Result run(Graph g, Function<String, TensorData> weights, PrintStream log) {
        return run(g, weights, log, null);
    }

    /** As above with {@code first} (a split pass, say) run before the pipeline, or null. */
    public PassManager.Result run(Graph g, Function<String, TensorData> weights, PrintStream log, Pass first) {
        Target t = target();
        List<Pass> all = new java.util.ArrayList<>();
        if (first != null) all.add(first);
        all.addAll(pipeline());
        PassManager.Result r = new PassManager(all, options(log)).run(g, new PassContext(t, weights == null ? null : ggufc.ir.Slices.wrap(weights)));
        if (passTimings) {
            log.print(r.table());
            log.flush();
        }
        return r;
    }
}
