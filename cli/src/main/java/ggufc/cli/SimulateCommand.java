package ggufc.cli;

import ggufc.gguf.GgufFile;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.ir.text.IrPrinter;
import ggufc.lift.GgufWeights;
import ggufc.lift.Lifters;
import ggufc.lift.LlamaLifter;
import ggufc.passes.Pass;
import ggufc.passes.PassContext;
import ggufc.passes.PassRegistry;
import ggufc.passes.split.SplitGraph;
import ggufc.passes.split.SplitLayer;
import ggufc.passes.split.SplitOptions;
import ggufc.passes.split.SplitRow;
import ggufc.passes.split.SplitTensor;
import ggufc.passes.PassManager;
import ggufc.passes.Targets;
import ggufc.passes.sim.DeviceCatalog;
import ggufc.passes.sim.Simulator;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = {"Predict prompt and decode tokens/s of a model on a list of devices, per split mode, from the IR's per-kernel bytes and FLOPs and a device catalog (see --list-devices). Only the GGUF header is read: a file of ggufc synth --header-only will do."})
final class SimulateCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, description = "GGUF model (header-only or full; only its header is read).")
    String model;

    @Option(names = "--devices", defaultValue = "1xrtx4090", description = "Devices: 4xrtx4090, or a list rtx4090,rtx3090 (default: ${DEFAULT-VALUE}).")
    String devices;

    @Option(names = "--link", description = "Link between the devices (default: the devices' usual one: pcie4-nop2p for RTX 4090s with the stock driver, pcie4-3090 for RTX 3090s, nvlink4 for H100/H200 SXM, ...); see --list-devices.")
    String link;

    @Option(names = {"--split-mode", "-sm"}, defaultValue = "all", description = "none, layer, row, tensor, graph or all (default: ${DEFAULT-VALUE}: one row per mode).")
    String splitMode;

    @Option(names = {"--tensor-split", "-ts"}, description = "Proportions per device, e.g. 3,1 (default: equal).")
    String tensorSplit;

    @Option(names = {"--pp", "-p"}, defaultValue = "512", description = "Prompt tokens (default: ${DEFAULT-VALUE}).")
    int pp;

    @Option(names = {"--tg", "-n"}, defaultValue = "128", description = "Generated tokens (default: ${DEFAULT-VALUE}).")
    int tg;

    @Option(names = {"--depth", "-d"}, defaultValue = "0", description = "Tokens already in the context (default: ${DEFAULT-VALUE}).")
    int depth;

    @Option(names = {"--ubatch", "-ub"}, defaultValue = "512", description = "Micro-batch of the prompt (default: ${DEFAULT-VALUE}, llama.cpp's).")
    int ubatch;

    @Option(names = "--efficiency", paramLabel = "BW,COMPUTE", description = "Roofline efficiencies (default: the calibrated ones, see the README's Simulator section).")
    String efficiency;

    @Option(names = "--reduce-type", description = "Type of the all-reduced partial sums: f32, bf16, f16 or q8_0 (default: f32 for tensor, f16 for graph, as llama.cpp and ik_llama.cpp).")
    String reduceType;

    @Option(names = "--analytic", description = "Split analytically (closed-form per mode) instead of placing the graph with the split passes.")
    boolean analytic;

    @Option(names = "--pipeline", description = "Layer mode: overlap the micro-batches of one --batch across the devices (llama.cpp's pipeline parallelism); default off, each micro-batch passes the devices in turn.")
    boolean pipeline;

    @Option(names = {"--batch", "-b"}, defaultValue = "2048", description = "Tokens of one batch, for --pipeline (default: ${DEFAULT-VALUE}, llama.cpp's).")
    int batch;

    @Option(names = "--json", description = "One JSON array: an object per mode.")
    boolean json;

    @Option(names = "--list-devices", description = "List the catalog's devices and links with their sources, and exit.")
    boolean listDevices;

    @Override
    public Integer call() {
        if (listDevices) {
            System.out.print(listing());
            return 0;
        }
        if (model == null) throw new IllegalArgumentException("give a model (--model GGUF)");
        List<DeviceCatalog.Device> devs = DeviceCatalog.parseDevices(devices);
        DeviceCatalog.Link l = link != null ? DeviceCatalog.link(link) : DeviceCatalog.defaultLink(devs);
        double[] ts = null;
        if (tensorSplit != null) {
            String[] p = tensorSplit.split("[,/]");
            ts = new double[p.length];
            for (int i = 0; i < p.length; i++) {
                try {
                    ts[i] = Double.parseDouble(p[i].trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--tensor-split '" + tensorSplit + "': '" + p[i] + "' is not a number");
                }
            }
        }
        List<Simulator.Mode> modes = new ArrayList<>();
        if (splitMode.equalsIgnoreCase("all")) {
            modes.addAll(List.of(Simulator.Mode.values()));
        } else {
            modes.add(Simulator.Mode.byId(splitMode));
        }
        Simulator.Workload w = new Simulator.Workload(pp, tg, depth, ubatch, Math.max(batch, ubatch), pipeline);
        String name;
        Graph base;
        try (GgufFile f = GgufFile.openHeader(ModelLocator.resolve(model))) {
            name = f.path().getFileName().toString();
            int ctx = depth + Math.max(pp, tg) + 1;
            Graph lifted = Lifters.lift(f, new LlamaLifter.Options(ctx, false, DType.F16));
            // quantized matmuls and fused attention, as llama.cpp's GPU backends run them; the split passes place this
            // graph (the later fusions do not yet keep placements)
            PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
            base = new PassManager(PassRegistry.parse(PRE_SPLIT, Targets.PTX), PassManager.Options.defaults().withLog(quiet))
                    .run(lifted, new PassContext(Targets.PTX, new GgufWeights(f))).graph();
        }
        Simulator.Calibration cal = Simulator.DEFAULT;
        if (efficiency != null) {
            String[] e = efficiency.split(",");
            if (e.length != 2) throw new IllegalArgumentException("--efficiency wants BW,COMPUTE, e.g. 0.83,0.3");
            cal = new Simulator.Calibration(Double.parseDouble(e[0]), Double.parseDouble(e[1]));
        }
        List<Simulator.Result> rs = new ArrayList<>();
        for (Simulator.Mode m : modes) {
            Simulator.Result r = simulate(base, m, devs, l, ts, cal, w);
            if (modes.size() == 1 && r.promptTps() == 0 && r.decodeTps() == 0) {
                throw new IllegalArgumentException("-sm " + m.id() + " on " + devices + ": " + r.note());
            }
            rs.add(r);
        }
        String devText = devices + " over " + l.id();
        if (json) {
            System.out.println(json(name, devText, w, rs));
        } else {
            System.out.printf(Locale.ROOT, "%s on %s, pp%d / tg%d at depth %d (predicted; see ggufc simulate --help)%n", name, devText, pp, tg, depth);
            String fmt = "%-7s %12s %12s  %-28s %-28s %4s  %s%n";
            System.out.printf(Locale.ROOT, fmt, "mode", "prompt t/s", "decode t/s", "prompt ms: comp/mem/comm", "decode ms: comp/mem/comm", "AR", "note");
            for (Simulator.Result r : rs) {
                if (r.promptTps() == 0 && r.decodeTps() == 0) {
                    System.out.printf(Locale.ROOT, fmt, r.mode().id(), "-", "-", "", "", "", r.note());
                    continue;
                }
                System.out.printf(Locale.ROOT, fmt, r.mode().id(), String.format(Locale.ROOT, "%.1f", r.promptTps()), String.format(Locale.ROOT, "%.1f", r.decodeTps()),
                        ms(r.prompt()), ms(r.decode()), r.allReducesPerDecodeStep(), r.note());
            }
        }
        return 0;
    }

    /** The passes before a split: quantized matmuls (fold-quant-dequant) and fused attention. */
    static final String PRE_SPLIT = "canonicalize,cse,fold-constants,fold-quant-dequant,fuse-attention";

    /**
     * One mode: none costs the unsplit graph on the first device; the others place it with their split pass (a copy
     * of the pass's refusal is the result's note) unless --analytic asks for the closed-form split.
     */
    Simulator.Result simulate(Graph base, Simulator.Mode m, List<DeviceCatalog.Device> devs, DeviceCatalog.Link l, double[] ts, Simulator.Calibration cal, Simulator.Workload w) {
        if (m == Simulator.Mode.NONE) return new Simulator(base, devs.subList(0, 1), l, null, cal).simulate(m, w);
        if (devs.size() < 2) return new Simulator(base, devs, l, ts, cal).simulate(m, w);
        if (analytic) return new Simulator(base, devs, l, ts, cal).simulate(m, w);
        SplitOptions o;
        Graph placed;
        try {
            o = new SplitOptions(devs.size(), ts, 0, reduceType != null ? reduceType : m == Simulator.Mode.GRAPH ? "f16" : "f32");
            Pass p = switch (m) {
                case LAYER -> new SplitLayer(o);
                case ROW -> new SplitRow(o);
                case TENSOR -> new SplitTensor(o);
                default -> new SplitGraph(o);
            };
            placed = p.run(base, new PassContext(Targets.PTX));
        } catch (RuntimeException e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            return new Simulator.Result(m, 0, 0, new Simulator.Split(0, 0, 0), new Simulator.Split(0, 0, 0), 0, false, "split refused: " + msg);
        }
        return new Simulator(placed, devs, l, ts, cal).simulate(m, w);
    }

    private static String ms(Simulator.Split s) {
        return String.format(Locale.ROOT, "%.3f/%.3f/%.3f", s.compute() * 1e3, s.memory() * 1e3, s.communication() * 1e3);
    }

    private static String split(Simulator.Split s) {
        return String.format(Locale.ROOT, "{\"compute\": %.6g, \"memory\": %.6g, \"communication\": %.6g}", s.compute(), s.memory(), s.communication());
    }

    static String json(String model, String devices, Simulator.Workload w, List<Simulator.Result> rs) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < rs.size(); i++) {
            Simulator.Result r = rs.get(i);
            sb.append(i == 0 ? "\n  " : ",\n  ");
            sb.append(String.format(Locale.ROOT, "{\"model\": %s, \"devices\": %s, \"mode\": \"%s\", \"pp\": %d, \"tg\": %d, \"depth\": %d, ",
                    IrPrinter.quote(model), IrPrinter.quote(devices), r.mode().id(), w.pp(), w.tg(), w.depth()));
            boolean ok = !(r.promptTps() == 0 && r.decodeTps() == 0);
            sb.append("\"prompt_tps\": ").append(ok ? String.format(Locale.ROOT, "%.2f", r.promptTps()) : "null");
            sb.append(", \"decode_tps\": ").append(ok ? String.format(Locale.ROOT, "%.2f", r.decodeTps()) : "null");
            sb.append(", \"prompt_time\": ").append(split(r.prompt()));
            sb.append(", \"decode_time\": ").append(split(r.decode()));
            sb.append(", \"all_reduces_per_decode_step\": ").append(r.allReducesPerDecodeStep());
            sb.append(", \"placed_graph\": ").append(r.placed());
            sb.append(", \"note\": ").append(IrPrinter.quote(r.note())).append('}');
        }
        return sb.append("\n]").toString();
    }

    static String listing() {
        StringBuilder sb = new StringBuilder("devices (memory GB, bandwidth GB/s, dense FP16 TFLOPS, per-kernel us; source):\n");
        for (DeviceCatalog.Device d : DeviceCatalog.devices().values()) {
            sb.append(String.format(Locale.ROOT, "  %-12s %-40s %6.0f %7.1f %7.1f %4.1f  %s%n", d.id(), d.name(), d.memGb(), d.bandwidthGbs(), d.tflops(), d.kernelUs(), d.source()));
        }
        sb.append("links (GB/s one direction, alpha us per collective; source):\n");
        for (DeviceCatalog.Link l : DeviceCatalog.links().values()) {
            sb.append(String.format(Locale.ROOT, "  %-18s %-40s %7.2f %6.1f  %s%n", l.id(), l.name(), l.bandwidthGbs(), l.alphaUs(), l.source()));
        }
        return sb.toString();
    }
}
