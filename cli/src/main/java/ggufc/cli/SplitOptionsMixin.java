package ggufc.cli;

import ggufc.passes.split.SplitOptions;
import ggufc.runtime.SplitConfig;
import java.util.List;
import picocli.CommandLine.Option;

/** llama.cpp's multi-device options, shared by {@code ggufc run}, {@code ir} and {@code compile}. */
final class SplitOptionsMixin {
    @Option(names = {"-sm", "--split-mode"}, paramLabel = "MODE", description = "How to split the model over the --device list: none, layer (contiguous layers per device), row (matmul rows, gathered on --main-gpu), tensor (llama.cpp's meta backend: heads and FFN rows, 2 all-reduces per layer) or graph (ik_llama.cpp's: heads with their KV, FFN and vocabulary; any architecture) (default: layer with several devices, as llama.cpp).")
    String splitMode;

    @Option(names = {"-ts", "--tensor-split"}, paramLabel = "A,B,...", description = "Share of each device, e.g. 3,1 (default: even).")
    String tensorSplit;

    @Option(names = {"-mg", "--main-gpu"}, defaultValue = "0", paramLabel = "I", description = "The device (an index into --device) that receives the outputs and, in row mode, holds everything but the matmul rows (default: ${DEFAULT-VALUE}).")
    int mainGpu;

    @Option(names = {"--reduce-type", "-grt"}, defaultValue = "f32", paramLabel = "TYPE", description = "Type partial sums travel in for all-reduces: f32, bf16, f16 or q8_0 (ik_llama.cpp's -grt) (default: ${DEFAULT-VALUE}).")
    String reduceType;

    /** The split over {@code devices} (none for one device unless a mode was asked for). */
    SplitConfig config(List<String> devices) {
        String mode = splitMode != null ? splitMode : devices.size() > 1 ? "layer" : "none";
        SplitConfig c = new SplitConfig(mode, devices, SplitOptions.parseProportions(tensorSplit), mainGpu, reduceType);
        if (c.active()) {
            if (devices.size() < 2) throw new IllegalArgumentException("--split-mode " + mode + " needs at least 2 devices: give --device cpu:0,cpu:1 (or more)");
            c.options(); // checks -ts, -mg and --reduce-type against the device list
        }
        return c;
    }
}
