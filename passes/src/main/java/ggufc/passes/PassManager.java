package ggufc.passes;

import ggufc.ir.Graph;
import ggufc.ir.IrException;
import ggufc.ir.Placement;
import ggufc.ir.Verifier;
import ggufc.ir.text.IrPrinter;
import ggufc.passes.analysis.StepCost;
import ggufc.passes.check.Equivalence;
import ggufc.passes.fusion.KernelGroups;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Runs a pipeline and owns everything around the passes: refusing a pass whose target support or
 * preconditions are missing (with the reason), printing the IR before/after passes, one numbered
 * {@code .ir} file per pass in a dump folder, verifying after every pass, optionally checking on
 * the interpreter that every pass preserved meaning, and a time/size table per pass.
 */
public final class PassManager {

    /**
     * @param printBefore pass names (or {@code all}) to print the IR before
     * @param printAfter pass names (or {@code all}) to print the IR after
     * @param printAfterChange print after a pass only when it changed the graph
     * @param dumpDir folder for {@code 00-input.ir}, {@code 01-canonicalize.ir}, ... (null: none)
     * @param verifyEach run the IR verifier and the kernel-group check after every pass
     * @param checkEach run the interpreter before and after every pass on the same random inputs and fail on a difference
     * @param context context length L at which per-token costs are computed (0: {@link StepCost#defaultContext})
     * @param log where IR prints go (stderr in the CLI)
     */
    public record Options(Set<String> printBefore, Set<String> printAfter, boolean printAfterChange, Path dumpDir,
                          boolean verifyEach, boolean checkEach, long context, PrintStream log) {
        public Options {
            printBefore = Set.copyOf(printBefore);
            printAfter = Set.copyOf(printAfter);
        }

        /** Verify after each pass, print nothing. */
        public static Options defaults() { return new Options(Set.of(), Set.of(), false, null, true, false, 0, System.err); }

        public Options withPrintBefore(Set<String> s) { return new Options(s, printAfter, printAfterChange, dumpDir, verifyEach, checkEach, context, log); }
        public Options withPrintAfter(Set<String> s) { return new Options(printBefore, s, printAfterChange, dumpDir, verifyEach, checkEach, context, log); }
        public Options withPrintAfterChange(boolean b) { return new Options(printBefore, printAfter, b, dumpDir, verifyEach, checkEach, context, log); }
        public Options withDumpDir(Path p) { return new Options(printBefore, printAfter, printAfterChange, p, verifyEach, checkEach, context, log); }
        public Options withVerifyEach(boolean b) { return new Options(printBefore, printAfter, printAfterChange, dumpDir, b, checkEach, context, log); }
        public Options withCheckEach(boolean b) { return new Options(printBefore, printAfter, printAfterChange, dumpDir, verifyEach, b, context, log); }
        public Options withContext(long l) { return new Options(printBefore, printAfter, printAfterChange, dumpDir, verifyEach, checkEach, l, log); }
        public Options withLog(PrintStream p) { return new Options(printBefore, printAfter, printAfterChange, dumpDir, verifyEach, checkEach, context, p); }

        boolean printsBefore(String pass) { return printBefore.contains("all") || printBefore.contains(pass); }
        boolean printsAfter(String pass) { return printAfter.contains("all") || printAfter.contains(pass); }
    }

    /** What one pass did: time, whether it changed the graph, costs before and after, its own counts. */
    public record PassRecord(int index, String name, long nanos, boolean changed, StepCost before, StepCost after, Map<String, Integer> counts) {}

    public record Result(Graph graph, GraphState state, StepCost input, List<PassRecord> records) {
        public StepCost output() { return records.isEmpty() ? input : records.getLast().after(); }

        /** The per-pass table: time, ops, kernels and bytes per token after each pass, and what it did. */
        public String table() {
            StringBuilder sb = new StringBuilder();
            String fmt = "%-3s %-22s %9s %6s %8s %14s %14s %12s  %s%n";
            sb.append(String.format(fmt, "#", "pass", "time ms", "ops", "kernels", "weight B/tok", "activ. B/tok", "KV B/tok", "changes"));
            sb.append(String.format(fmt, "", "(input)", "", input.ops(), input.kernels(), String.format("%,d", input.weightBytes()),
                    String.format("%,d", input.activationBytes()), String.format("%,d", input.kvBytes()), ""));
            long total = 0;
            for (PassRecord r : records) {
                total += r.nanos();
                StepCost a = r.after();
                String what = r.counts().isEmpty() ? (r.changed() ? "changed" : "-")
                        : r.counts().entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
                sb.append(String.format(fmt, r.index(), r.name(), String.format("%.2f", r.nanos() / 1e6), a.ops(), a.kernels(),
                        String.format("%,d", a.weightBytes()), String.format("%,d", a.activationBytes()), String.format("%,d", a.kvBytes()), what));
            }
            sb.append(String.format("total %.2f ms; costs are for one decode step (T = 1) at context L = %d%n", total / 1e6, input.context()));
            return sb.toString();
        }
    }

    private final List<Pass> pipeline;
    private final Options options;

    public PassManager(List<Pass> pipeline, Options options) {
        this.pipeline = List.copyOf(pipeline);
        this.options = options;
    }

    public List<Pass> pipeline() { return pipeline; }

    public Result run(Graph g, PassContext cx) { return run(g, cx, GraphState.initial()); }

    public Result run(Graph g, PassContext cx, GraphState state) {
        Target target = cx.target();
        // refuse up front, before any work, for the whole pipeline (each pass sees the state its predecessors establish)
        GraphState planned = state;
        for (Pass p : pipeline) {
            Optional<String> why = p.unsupportedBy(target);
            if (why.isPresent()) throw new PassException(p.name() + ": " + why.get());
            why = p.notApplicable(planned, target);
            if (why.isPresent()) throw new PassException(p.name() + " cannot run here: " + why.get());
            planned = planned.after(p.name(), p.establishes());
        }
        long context = options.context() > 0 ? options.context() : StepCost.defaultContext(g);
        verify(g, "the input graph", 0, "input");
        dump(g, 0, "input", "input");
        Equivalence.Probe probe = options.checkEach() ? Equivalence.Probe.forGraph(g, cx.weights(), 7) : null;
        if (options.checkEach() && probe == null) options.log().println("// check-each: the interpreter cannot run the input graph; meaning is not checked");
        StepCost inputCost = StepCost.of(g, context), cost = inputCost;
        List<PassRecord> records = new ArrayList<>();
        cx.takeCounts();
        int index = 0;
        for (Pass p : pipeline) {
            index++;
            if (options.printsBefore(p.name())) print(g, "IR before " + p.name() + " (" + index + ")");
            long t0 = System.nanoTime();
            Graph after;
            try {
                after = p.run(g, cx);
                // a pass that rewrites part of a placed graph leaves its new nodes on their operands' devices
                if (after != g && Placement.isPlaced(g)) after = Placement.inherit(after);
            } catch (PassException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new PassException("pass " + p.name() + " failed: " + e.getMessage(), e);
            }
            long nanos = System.nanoTime() - t0;
            boolean changed = after != g && !after.structurallyEquals(g);
            verify(after, "pass " + p.name(), index, p.name());
            if (probe != null && changed) {
                Optional<String> diff = probe.compare(g, after, p.exact());
                if (diff.isPresent()) {
                    dumpFailure(after, index, p.name());
                    throw new PassException("pass " + p.name() + " changed what the graph computes: " + diff.get());
                }
            }
            state = state.after(p.name(), p.establishes());
            StepCost afterCost = changed ? StepCost.of(after, context) : cost;
            records.add(new PassRecord(index, p.name(), nanos, changed, cost, afterCost, cx.takeCounts()));
            if (options.printsAfter(p.name()) && (!options.printAfterChange() || changed)) {
                print(after, "IR after " + p.name() + " (" + index + ")" + (changed ? "" : " (unchanged)"));
            } else if (options.printAfterChange() && options.printAfter().isEmpty() && changed) {
                print(after, "IR after " + p.name() + " (" + index + ")");
            }
            dump(after, index, p.name(), changed ? "changed" : "unchanged");
            g = after;
            cost = afterCost;
        }
        return new Result(g, state, inputCost, records);
    }

    private void verify(Graph g, String what, int index, String name) {
        if (!options.verifyEach()) return;
        List<String> problems = new ArrayList<>(Verifier.check(g));
        problems.addAll(KernelGroups.check(g));
        if (!problems.isEmpty()) {
            dumpFailure(g, index, name);
            throw new PassException(what + " produced an invalid graph: " + String.join("; ", problems), new IrException(problems));
        }
    }

    private void print(Graph g, String title) {
        options.log().println("// -----// " + title + " //----- //");
        options.log().print(IrPrinter.print(g));
        options.log().flush();
    }

    private void dump(Graph g, int index, String name, String note) {
        if (options.dumpDir() == null) return;
        String header = "// " + (index == 0 ? "input of the pipeline" : "after pass " + index + " " + name + " (" + note + ")") + "\n";
        write(options.dumpDir().resolve(String.format("%02d-%s.ir", index, name)), header + IrPrinter.print(g));
    }

    private void dumpFailure(Graph g, int index, String name) {
        if (options.dumpDir() != null) {
            write(options.dumpDir().resolve(String.format("%02d-%s.failed.ir", index, name)), "// the graph pass " + name + " produced (rejected)\n" + IrPrinter.print(g));
        }
        print(g, "IR after failure of " + name);
    }

    private static void write(Path p, String text) {
        try {
            Files.createDirectories(p.getParent());
            Files.writeString(p, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + p, e);
        }
    }
}
