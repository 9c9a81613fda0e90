package ggufc.cli;

import ggufc.gguf.GgufFile;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.ir.GraphModule;
import ggufc.ir.TensorData;
import ggufc.ir.analysis.GraphStats;
import ggufc.ir.text.IrParser;
import ggufc.ir.text.IrPrinter;
import ggufc.lift.GgufWeights;
import ggufc.lift.Lifters;
import ggufc.lift.LlamaLifter;
import ggufc.passes.PassManager;
import ggufc.passes.PassRegistry;
import ggufc.passes.Pipelines;
import ggufc.passes.Target;
import ggufc.passes.Targets;
import ggufc.passes.analysis.GraphDot;
import ggufc.passes.analysis.StepCost;
import ggufc.passes.rewrite.Rule;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "ir", mixinStandardHelpOptions = true,
        description = {"Print a model's IR after the pass pipeline (the textual form `ggufc` parses back), its cost, or a Graphviz drawing.",
                "The lifted graph is what `--passes none` prints."})
final class IrCommand implements Callable<Integer> {
    static final class Source {
        @Option(names = {"-m", "--model"}, required = true, paramLabel = "GGUF", description = "Model file to lift.")
        String model;

        @Option(names = "--ir", required = true, paramLabel = "FILE", description = "A graph, or a module of graphs (`module @name { graph ... }`), in the IR's text form instead of a model (no weights: no compile-time dequantization).")
        Path ir;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Source source;

    @Mixin
    PassOptions passes;

    @Option(names = "--stats", description = "Print the cost of one decode step before and after the pipeline: kernels, weight/activation/KV bytes per token, FLOPs; then the graph's statistics.")
    boolean stats;

    @Option(names = "--json", description = "With --stats: one JSON object (ops, kernels_per_decode_step, weight_bytes_per_token, activation_bytes_per_token, kv_bytes_per_token, flops_per_token, ...) for scripts.")
    boolean json;

    @Option(names = "--dot", paramLabel = "FILE", description = "Write the graph after the pipeline as Graphviz to FILE (and FILE.svg when `dot` is installed).")
    Path dot;

    @Option(names = "--list-passes", description = "List the passes with their rules, the targets and their default pipelines, and exit.")
    boolean listPasses;

    @Option(names = {"-c", "--ctx"}, defaultValue = "0", description = "KV cache size in tokens; 0 = 4096, or the model's training context when smaller (default).")
    int ctx;

    @Option(names = "--all-logits", description = "Lift with logits for every position instead of the last one.")
    boolean allLogits;

    @Option(names = "--spec-type", paramLabel = "early-exit|draft-mtp", description = "Print the module of the target step and its draft step (every row's logits): "
            + "early-exit (after --draft-layer layers) or draft-mtp (the gemma4-assistant given with -md); each graph goes through the pipeline, the module is verified as one unit.")
    String specType;

    @Option(names = "--draft-layer", defaultValue = "-1", paramLabel = "K", description = "With --spec-type early-exit: the draft reads the residual after the first K layers (default: three quarters of the layers).")
    int draftLayer;

    @Option(names = {"-md", "--model-draft"}, paramLabel = "GGUF", description = "With --spec-type draft-mtp: the gemma4-assistant drafter (a hy_v3 model drafts with its own MTP layer without it).")
    String modelDraft;

    @Option(names = {"-dev", "--device"}, defaultValue = "cpu", paramLabel = "LIST", description = "Devices to split the model over with --split-mode, e.g. cpu:0,cpu:1 (only their count matters here) (default: ${DEFAULT-VALUE}).")
    String device;

    @picocli.CommandLine.Mixin
    SplitOptionsMixin split;

    /** The split pass the options ask for, or null. */
    private ggufc.passes.Pass splitPass() {
        ggufc.runtime.SplitConfig c = split.config(ggufc.runtime.SplitConfig.parseDevices(device));
        return c.active() ? ggufc.passes.split.SplitModes.pass(c.mode(), c.options()) : null;
    }

    @Override
    public Integer call() throws IOException {
        if (listPasses) {
            System.out.print(listing());
            System.out.flush();
            return 0;
        }
        if (source == null) throw new IllegalArgumentException("give a model (--model GGUF) or an IR file (--ir FILE)");
        if (json && !stats) throw new IllegalArgumentException("--json goes with --stats");
        if (specType != null && !specType.equals("early-exit") && !specType.equals("draft-mtp")) {
            throw new IllegalArgumentException("--spec-type must be early-exit or draft-mtp, got '" + specType + "'");
        }
        if (modelDraft != null && !"draft-mtp".equals(specType)) throw new IllegalArgumentException("-md goes with --spec-type draft-mtp");
        if (source.ir != null && specType != null) throw new IllegalArgumentException("--spec-type lifts a model (--model); an IR file holding a module is printed as one");
        if (source.ir != null) {
            String text = Files.readString(source.ir, StandardCharsets.UTF_8);
            if (MODULE_FIRST.matcher(text).lookingAt()) {
                GraphModule m = IrParser.parseModule(text, source.ir.toString());
                return emitModule(m.map(g -> passes.run(g, null, System.err, null).graph()));
            }
            Graph g = IrParser.parse(text, source.ir.toString());
            return emit(source.ir.getFileName().toString(), g, passes.run(g, null, System.err, splitPass()));
        }
        // only the header is needed to lift; a header-only file (synth --header-only) lifts too, and a pass that reads weights names it
        try (GgufFile f = GgufFile.openHeader(ModelLocator.resolve(source.model))) {
            int n = ggufc.runtime.KvBudget.context(ctx, Lifters.hparams(f).ctxTrain());
            LlamaLifter.Options opt = new LlamaLifter.Options(n, allLogits || specType != null, DType.F32);
            Graph g = Lifters.lift(f, opt);
            Function<String, TensorData> weights = new GgufWeights(f);
            if (specType != null) return emitModule(specModule(f, g, opt, weights));
            return emit(f.path().getFileName().toString(), g, passes.run(g, weights, System.err, splitPass()));
        }
    }

    /** A file whose first word (after blanks and comments) is {@code module}. */
    private static final java.util.regex.Pattern MODULE_FIRST = java.util.regex.Pattern.compile("(\\s|//[^\\n]*)*module\\b");

    /** The target {@code g} and its draft step, each through the pipeline (the draft on its own weights); {@link #emitModule} verifies them as one module. */
    private GraphModule specModule(GgufFile f, Graph g, LlamaLifter.Options opt, Function<String, TensorData> weights) throws IOException {
        if (split.config(ggufc.runtime.SplitConfig.parseDevices(device)).active()) throw new IllegalArgumentException("--spec-type does not go with --split-mode yet");
        if (specType.equals("early-exit")) return ggufc.passes.spec.InsertDraftHead.module(g, draftLayer).map(x -> passes.run(x, weights, System.err, null).graph());
        if (modelDraft == null) {
            // the MTP (nextn) block in the model's own file (hy_v3), with its own cache
            if (!Lifters.hparams(f).arch().equals(ggufc.lift.HyV3Lifter.ARCH)) throw new IllegalArgumentException("--spec-type draft-mtp needs the drafter, -md ASSISTANT.gguf (only hy_v3 files draft with their own MTP layer here)");
            Graph draft = ggufc.lift.HyV3Lifter.liftDraft(f, new LlamaLifter.Options(opt.ctx(), false, opt.kvType()));
            return GraphModule.of(g.name(), passes.run(g, weights, System.err, null).graph(), passes.run(draft, weights, System.err, null).graph());
        }
        try (GgufFile a = GgufFile.openHeader(ModelLocator.resolve(modelDraft))) {
            Graph draft = ggufc.lift.Gemma4AssistantLifter.liftDraft(a, f, opt);
            Function<String, TensorData> draftWeights = ggufc.lift.Gemma4AssistantLifter.weights(a, f);
            return GraphModule.of(g.name(), passes.run(g, weights, System.err, null).graph(), passes.run(draft, draftWeights, System.err, null).graph());
        }
    }

    private int emitModule(GraphModule m) {
        if (dot != null || stats) throw new IllegalArgumentException("--dot and --stats take one graph, not a module (--spec-type or a module file)");
        ggufc.ir.Verifier.verify(m);
        System.out.print(IrPrinter.print(m));
        System.out.flush();
        return 0;
    }

    private int emit(String name, Graph lifted, PassManager.Result r) throws IOException {
        PrintStream out = System.out;
        Graph g = r.graph();
        if (dot != null) writeDot(g);
        if (stats && json) {
            out.println(json(name, r));
        } else if (stats) {
            out.print(statsText(name, r));
            out.print(GraphStats.of(g).render());
        } else if (dot == null) {
            out.print(IrPrinter.print(g));
        }
        out.flush();
        return 0;
    }

    private String statsText(String name, PassManager.Result r) {
        StepCost a = r.input(), b = r.output();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%s, target %s, passes: %s%n", name, passes.target, r.records().isEmpty() ? "none"
                : String.join(",", r.records().stream().map(PassManager.PassRecord::name).toList())));
        sb.append(String.format("one decode step (T = 1) at context L = %d:%n", a.context()));
        String fmt = "  %-28s %15s %15s %8s%n";
        sb.append(String.format(fmt, "", "input", "after passes", "ratio"));
        row(sb, fmt, "ops", a.ops(), b.ops());
        row(sb, fmt, "kernels per decode step", a.kernels(), b.kernels());
        row(sb, fmt, "weight bytes per token", a.weightBytes(), b.weightBytes());
        row(sb, fmt, "activation bytes per token", a.activationBytes(), b.activationBytes());
        row(sb, fmt, "KV-cache bytes per token", a.kvBytes(), b.kvBytes());
        row(sb, fmt, "FLOPs per token", a.flops(), b.flops());
        sb.append('\n');
        Graph g = r.graph();
        if (ggufc.ir.Placement.isPlaced(g)) {
            ggufc.passes.split.SplitStats s = ggufc.passes.split.SplitStats.of(g);
            sb.append(String.format("split over %d devices; per decode step: %d all-reduces, %d all-gathers, %d transfers, %,d bytes between devices%n",
                    ggufc.ir.Placement.devices(g).size(), s.allReduces(), s.allGathers(), s.transfers(), ggufc.passes.split.SplitStats.bytesMoved(g, 1)));
            String dfmt = "  %-8s %16s %14s %16s %18s %8s%n";
            sb.append(String.format(dfmt, "device", "weight bytes", "KV bytes", "FLOPs per token", "weight B per token", "kernels"));
            for (var d : ggufc.passes.split.SplitStats.perDevice(g, a.context())) {
                sb.append(String.format(dfmt, d.device(), String.format("%,d", d.weightBytes()), String.format("%,d", d.kvBytes()), String.format("%,d", d.step().flops()),
                        String.format("%,d", d.step().weightBytes()), d.step().kernels()));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static void row(StringBuilder sb, String fmt, String what, long a, long b) {
        sb.append(String.format(fmt, what, String.format("%,d", a), String.format("%,d", b), b == 0 ? "-" : String.format("%.2fx", (double) a / b)));
    }

    private String json(String name, PassManager.Result r) {
        StepCost c = r.output();
        Map<String, Integer> ops = new TreeMap<>();
        for (var n : r.graph().nodes()) ops.merge(n.op().irName(), 1, Integer::sum);
        StringBuilder sb = new StringBuilder("{");
        sb.append("\"model\": ").append(IrPrinter.quote(name));
        sb.append(", \"target\": ").append(IrPrinter.quote(passes.target));
        sb.append(", \"passes\": [");
        for (int i = 0; i < r.records().size(); i++) sb.append(i > 0 ? ", " : "").append(IrPrinter.quote(r.records().get(i).name()));
        sb.append("]");
        sb.append(", \"context\": ").append(c.context());
        sb.append(", \"nodes\": ").append(c.nodes());
        sb.append(", \"ops\": ").append(c.ops());
        sb.append(", \"kernels_per_decode_step\": ").append(c.kernels());
        sb.append(", \"weight_bytes_per_token\": ").append(c.weightBytes());
        sb.append(", \"activation_bytes_per_token\": ").append(c.activationBytes());
        sb.append(", \"kv_bytes_per_token\": ").append(c.kvBytes());
        sb.append(", \"flops_per_token\": ").append(c.flops());
        Graph placed = r.graph();
        if (ggufc.ir.Placement.isPlaced(placed)) {
            ggufc.passes.split.SplitStats s = ggufc.passes.split.SplitStats.of(placed);
            sb.append(", \"all_reduces_per_decode_step\": ").append(s.allReduces());
            sb.append(", \"all_gathers_per_decode_step\": ").append(s.allGathers());
            sb.append(", \"transfers_per_decode_step\": ").append(s.transfers());
            sb.append(", \"bytes_between_devices_per_decode_step\": ").append(ggufc.passes.split.SplitStats.bytesMoved(placed, 1));
            sb.append(", \"devices\": [");
            int k = 0;
            for (var d : ggufc.passes.split.SplitStats.perDevice(placed, c.context())) {
                sb.append(k++ > 0 ? ", " : "").append("{\"device\": ").append(d.device()).append(", \"weight_bytes\": ").append(d.weightBytes())
                        .append(", \"kv_bytes\": ").append(d.kvBytes()).append(", \"flops_per_token\": ").append(d.step().flops())
                        .append(", \"weight_bytes_per_token\": ").append(d.step().weightBytes()).append(", \"kernels_per_decode_step\": ").append(d.step().kernels()).append("}");
            }
            sb.append("]");
        }
        sb.append(", \"op_counts\": {");
        int i = 0;
        for (Map.Entry<String, Integer> e : ops.entrySet()) sb.append(i++ > 0 ? ", " : "").append(IrPrinter.quote(e.getKey())).append(": ").append(e.getValue());
        return sb.append("}}").toString();
    }

    private void writeDot(Graph g) throws IOException {
        Files.writeString(dot, GraphDot.render(g), StandardCharsets.UTF_8);
        Path svg = dot.resolveSibling(dot.getFileName() + ".svg");
        try {
            Process p = new ProcessBuilder("dot", "-Tsvg", "-o", svg.toString(), dot.toString()).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) throw new IOException("dot failed: " + log.strip());
            System.err.println("ggufc: wrote " + dot + " and " + svg);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("dot failed")) throw e;
            System.err.println("ggufc: wrote " + dot + " (install Graphviz's `dot` to render it: dot -Tsvg " + dot + " -o " + svg + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String listing() {
        StringBuilder sb = new StringBuilder("passes:\n");
        for (String n : PassRegistry.names()) {
            var p = PassRegistry.byName(n);
            sb.append(String.format("  %-22s %s%n", n, p.summary()));
            for (Rule r : rules(n)) sb.append(String.format("      %-24s %s%n", r.name(), r.doc()));
        }
        sb.append("\ntargets and their default pipelines:\n");
        for (Target t : Targets.all()) {
            sb.append(String.format("  %-9s %s%n            %s%n", t.name(), t.description(),
                    String.join(",", Pipelines.forTarget(t).stream().map(ggufc.passes.Pass::name).toList())));
        }
        return sb.toString();
    }

    private static List<Rule> rules(String pass) {
        return switch (pass) {
            case "canonicalize" -> ggufc.passes.cleanup.Canonicalize.RULES.rules();
            case "fold-constants" -> ggufc.passes.cleanup.FoldConstants.rules(null).rules();
            case "fold-quant-dequant" -> ggufc.passes.quant.FoldQuantDequant.rules(Targets.INTERP).rules();
            case "quantize-activations" -> ggufc.passes.quant.QuantizeActivations.RULES.rules();
            case "fuse-attention" -> ggufc.passes.fusion.FuseAttention.RULES.rules();
            case "fuse-rope-kv-write" -> ggufc.passes.fusion.FuseRopeKvWrite.RULES.rules();
            case "fuse-glu" -> ggufc.passes.fusion.FuseGlu.RULES.rules();
            case "fuse-norm-matmul" -> ggufc.passes.fusion.FuseNormMatmul.ruleSet(Targets.INTERP).rules();
            case "fuse-matmul-add" -> ggufc.passes.fusion.FuseMatmulAdd.RULES.rules();
            default -> List.of();
        };
    }
}
