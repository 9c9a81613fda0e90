package ggufc.passes.split;

import ggufc.ir.Graph;
import ggufc.passes.Pass;
import ggufc.passes.PassContext;
import ggufc.passes.PassException;
import ggufc.passes.sim.DeviceCatalog;
import ggufc.passes.sim.Simulator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * split-auto: places the graph with each split mode (layer, row, tensor, graph) and keeps the one the cost model
 * ({@link Simulator}: per-device bytes and FLOPs of the placed graph, the device catalog, collectives' latency and
 * bandwidth) predicts fastest for decoding (prompt speed breaks ties). Without {@code --tensor-split}, devices of
 * different memory bandwidth get shares proportional to it (decode reads every weight once per token). The choice and
 * every mode's prediction are the pass's counts and {@link #report()}.
 */
public final class SplitAuto implements Pass {
    private final SplitOptions opt;
    private final List<DeviceCatalog.Device> hardware;
    private final DeviceCatalog.Link link;
    private final Simulator.Workload workload;
    private final boolean proportionsGiven;
    private String report = "";
    private String chosen;

    /**
     * @param hardware what each device is (catalog rows), one per device
     * @param proportionsGiven whether {@code opt}'s proportions came from {@code --tensor-split} (else bandwidth decides)
     */
    public SplitAuto(SplitOptions opt, List<DeviceCatalog.Device> hardware, DeviceCatalog.Link link, Simulator.Workload workload, boolean proportionsGiven) {
        if (hardware.size() != opt.devices()) throw new PassException("split-auto: " + hardware.size() + " catalog devices for " + opt.devices() + " devices");
        this.opt = opt;
        this.hardware = List.copyOf(hardware);
        this.link = link;
        this.workload = workload;
        this.proportionsGiven = proportionsGiven;
    }

    /** Two CPU sub-devices of this machine over shared memory, decoding 128 tokens after a 512-token prompt. */
    public SplitAuto() { this(SplitOptions.even(2), cpuSubDevices(2), DeviceCatalog.link("shm"), new Simulator.Workload(512, 128, 0, 512), false); }

    /** {@code n} CPU sub-devices of this machine: the catalog's cpu-zen5-2c cut into equal parts. */
    public static List<DeviceCatalog.Device> cpuSubDevices(int n) {
        DeviceCatalog.Device cpu = DeviceCatalog.device("cpu-zen5-2c");
        List<DeviceCatalog.Device> r = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            r.add(new DeviceCatalog.Device(cpu.id() + "/" + n, cpu.name() + ", 1/" + n, cpu.memGb() / n, cpu.bandwidthGbs() / n, cpu.tflops() / n, cpu.kernelUs(),
                    cpu.source() + " (cut into " + n + " equal sub-devices)"));
        }
        return r;
    }

    @Override public String name() { return "split-auto"; }

    @Override public String summary() { return "places the graph with layer, row, tensor and graph split and keeps the mode the cost model predicts fastest (ggufc simulate's model)"; }

    @Override public boolean exact() { return false; }

    /** Every mode's prediction and the choice, one line each (after {@link #run}). */
    public String report() { return report; }

    /** The chosen mode (after {@link #run}). */
    public String chosen() { return chosen; }

    @Override
    public Graph run(Graph g, PassContext cx) {
        SplitOptions o = opt;
        if (!proportionsGiven) {
            double[] bw = new double[hardware.size()];
            for (int i = 0; i < bw.length; i++) bw[i] = hardware.get(i).bandwidthGbs();
            o = new SplitOptions(opt.devices(), bw, opt.mainDevice(), opt.reduceType());
        }
        StringBuilder sb = new StringBuilder();
        Graph best = null;
        Simulator.Result bestR = null;
        for (String mode : List.of("layer", "row", "tensor", "graph")) {
            Graph placed;
            try {
                placed = SplitModes.pass(mode, o).run(g, new PassContext(cx.target(), cx.weights()));
            } catch (RuntimeException e) {
                sb.append(String.format(Locale.ROOT, "  %-6s refused: %s%n", mode, e.getMessage()));
                continue;
            }
            Simulator.Result r = new Simulator(placed, hardware, link, o.proportions(), Simulator.DEFAULT).simulate(Simulator.Mode.byId(mode), workload);
            sb.append(String.format(Locale.ROOT, "  %-6s predicted decode %.1f t/s, prompt %.1f t/s%n", mode, r.decodeTps(), r.promptTps()));
            if (bestR == null || r.decodeTps() > bestR.decodeTps() * 1.0001 || (Math.abs(r.decodeTps() - bestR.decodeTps()) <= bestR.decodeTps() * 1e-4 && r.promptTps() > bestR.promptTps())) {
                best = placed;
                bestR = r;
                chosen = mode;
            }
        }
        if (best == null) throw new PassException("split-auto: every split mode refused this graph:\n" + sb);
        report = sb.append(String.format(Locale.ROOT, "  chosen: %s%n", chosen)).toString();
        cx.count("chose " + chosen);
        SplitStats.count(best, cx);
        return best;
    }
}
