package ggufc.runtime;

import ggufc.ir.Graph;
import ggufc.passes.Pass;
import ggufc.passes.PassContext;
import ggufc.passes.PassException;
import ggufc.passes.Targets;
import ggufc.passes.split.SplitModes;
import ggufc.passes.split.SplitOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * A run over several devices, as llama.cpp's options say it: {@code --split-mode}, the {@code --device} list,
 * {@code --tensor-split}, {@code --main-gpu} and {@code --reduce-type}. CPU sub-devices are {@code cpu:0 .. cpu:N-1}:
 * each gets its share of {@code --threads} as a worker pool of its own.
 */
public record SplitConfig(String mode, List<String> devices, double[] proportions, int mainDevice, String reduceType) {
    public static final SplitConfig NONE = new SplitConfig("none", List.of("cpu"), null, 0, "f32");

    public SplitConfig {
        devices = List.copyOf(devices);
    }

    /** Parses {@code --device a,b,...}. */
    public static List<String> parseDevices(String list) {
        List<String> r = new ArrayList<>();
        for (String d : list.split(",")) {
            d = d.strip();
            if (d.isEmpty()) throw new IllegalArgumentException("--device has an empty entry: '" + list + "'");
            if (r.contains(d)) throw new IllegalArgumentException("--device names " + d + " twice");
            if (!d.matches("cpu(:\\d+)?|opencl:\\d+(\\.\\d+)?(:spirv)?|cuda:\\d+")) {
                throw new IllegalArgumentException("--device: '" + d + "' is not a device (cpu, cpu:N, opencl:N, opencl:N.S, opencl:N:spirv, cuda:N; `ggufc devices` lists them)");
            }
            r.add(d);
        }
        if (r.size() > 1 && r.stream().anyMatch(x -> x.startsWith("cpu")) && !r.stream().allMatch(x -> x.startsWith("cpu"))) {
            throw new IllegalArgumentException("--device " + list + ": a split runs over CPU sub-devices (cpu:0,cpu:1,...) or over GPU/OpenCL devices (opencl:0.0,opencl:0.1, cuda:N), not a mix of both yet");
        }
        return r;
    }

    public boolean active() { return !mode.equals("none"); }

    /** Whether every device is a CPU sub-device ({@code cpu:N}). */
    public boolean cpuOnly() { return devices.stream().allMatch(d -> d.matches("cpu(:\\d+)?")); }

    public SplitOptions options() { return new SplitOptions(devices.size(), proportions, mainDevice, reduceType); }

    /** {@code lifted} split over the devices (itself when the mode is none). */
    public Graph apply(Graph lifted, PassContext cx) {
        if (!active()) return lifted;
        if (devices.size() < 2) throw new PassException("--split-mode " + mode + " needs at least 2 devices in --device (e.g. --device cpu:0,cpu:1), got " + devices);
        Pass p = SplitModes.pass(mode, options());
        return p.run(lifted, cx);
    }

    /** Threads of each device: {@code threads} divided among them, at least one each. */
    public int[] threadsPerDevice(int threads) {
        int n = devices.size();
        int[] r = new int[n];
        for (int d = 0; d < n; d++) r[d] = Math.max(1, threads / n + (d < threads % n ? 1 : 0));
        return r;
    }
}
