package ggufc.passes.split;

import ggufc.passes.Pass;
import ggufc.passes.PassException;
import java.util.List;

/** The split passes by {@code --split-mode} name (llama.cpp's and ik_llama.cpp's names). */
public final class SplitModes {
    private SplitModes() {}

    public static final List<String> NAMES = List.of("none", "layer", "row", "tensor", "graph", "auto");

    /** The pass of {@code mode} over {@code opt}'s devices, or null for {@code none}. */
    public static Pass pass(String mode, SplitOptions opt) {
        return switch (mode) {
            case "none" -> null;
            case "layer" -> new SplitLayer(opt);
            case "row" -> new SplitRow(opt);
            case "tensor" -> new SplitTensor(opt);
            case "graph" -> new SplitGraph(opt);
            case "auto" -> new SplitAuto(opt, SplitAuto.cpuSubDevices(opt.devices()), ggufc.passes.sim.DeviceCatalog.link("shm"),
                    new ggufc.passes.sim.Simulator.Workload(512, 128, 0, 512), false);
            default -> throw new PassException("--split-mode must be one of " + String.join(", ", NAMES) + ", got '" + mode + "'");
        };
    }
}
