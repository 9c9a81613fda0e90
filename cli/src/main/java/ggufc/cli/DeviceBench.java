package ggufc.cli;

import ggufc.ir.DType;
import ggufc.runtime.LoadedModel;
import ggufc.runtime.StepExecutor;
import ggufc.runtime.device.Bandwidth;
import ggufc.runtime.device.DeviceExecutor;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@code ggufc bench --device opencl:N|cuda:N} (or {@code --backend interpreter}): prompt and decode
 * speed of one model on that device, in process (medians of repeated greedy runs), and on GPU
 * devices each decode kernel's device time, the bytes it must move and the fraction of the
 * device's measured copy bandwidth it reaches. (The CPU comparison with llama.cpp is {@link BenchCommand}.)
 */
final class DeviceBench {
    /** Measures {@code model} on {@code device} (cpu with {@code backend}, or a GPU) and prints the figures. */
    static void run(Path model, String device, String backend, int promptTokens, int decodeTokens, int reps) {
        new DeviceBench(decodeTokens).measure(model, device, backend, promptTokens, reps);
    }

    private final int decodeTokens;

    private DeviceBench(int decodeTokens) {
        this.decodeTokens = decodeTokens;
    }

    private void measure(Path model, String device, String backend, int promptTokens, int reps) {
        int ctx = promptTokens + decodeTokens + 1;
        LoadedModel.Backend be = switch (backend) {
            case "vector" -> LoadedModel.Backend.VECTOR;
            case "interpreter" -> LoadedModel.Backend.INTERPRETER;
            default -> throw new IllegalArgumentException("--backend must be vector or interpreter, got '" + backend + "'");
        };
        try (LoadedModel m = device.equals("cpu") ? LoadedModel.open(model, ctx, DType.F32, false, be, Runtime.getRuntime().availableProcessors())
                : LoadedModel.openOnDevice(model, ctx, DType.F32, device)) {
            StepExecutor ex = m.executor();
            int vocab = ex.vocabSize();
            int[] prompt = new int[promptTokens];
            for (int i = 0; i < prompt.length; i++) prompt[i] = 1 + (i * 7919) % (vocab - 1);
            double[] pp = new double[reps], tg = new double[reps];
            run(ex, prompt); // warm-up: kernel builds, caches
            for (int r = 0; r < reps; r++) {
                double[] t = run(ex, prompt);
                pp[r] = t[0];
                tg[r] = t[1];
            }
            System.out.printf("%s on %s: prompt %d tokens %.1f tok/s, decode %d tokens %.1f tok/s (medians of %d)%n", m.file().path().getFileName(),
                    device.equals("cpu") ? "cpu (" + backend + ")" : device, promptTokens,
                    median(pp), decodeTokens, median(tg), reps);
            if (ex instanceof DeviceExecutor d) kernels(d, prompt);
        }
    }

    /** {prompt tokens/s, decode tokens/s} for one greedy run. */
    private double[] run(StepExecutor ex, int[] prompt) {
        ex.reset();
        long t0 = System.nanoTime();
        int next = ex.stepArgmax(prompt, 0);
        long t1 = System.nanoTime();
        for (int i = 0; i < decodeTokens; i++) next = ex.stepArgmax(new int[] {next}, prompt.length + i);
        long t2 = System.nanoTime();
        return new double[] {prompt.length / ((t1 - t0) / 1e9), decodeTokens / ((t2 - t1) / 1e9)};
    }

    private void kernels(DeviceExecutor d, int[] prompt) {
        double bw = Bandwidth.copy(d.device(), 256L << 20, 5);
        d.reset();
        int next = d.stepArgmax(prompt, 0);
        d.profile(true);
        for (int i = 0; i < decodeTokens; i++) next = d.stepArgmax(new int[] {next}, prompt.length + i);
        var stats = d.profileStats();
        d.profile(false);
        System.out.printf("device copy bandwidth (best of 5 copies of 256 MiB): %.1f GB/s%n", bw / 1e9);
        System.out.printf("decode kernels over %d steps (device time from OpenCL profiling; bytes = weights read once + activations and KV in and out):%n", decodeTokens);
        System.out.printf("%-58s %8s %10s %12s %10s %8s%n", "kernel", "launches", "us/launch", "bytes/launch", "GB/s", "of copy");
        long totalNs = 0, totalBytes = 0;
        for (var s : stats) {
            totalNs += s.nanos();
            totalBytes += s.bytes();
            double secs = s.nanos() / 1e9;
            System.out.printf("%-58s %8d %10.1f %12d %10.2f %7.1f%%%n", s.kernel(), s.launches(), s.nanos() / 1e3 / Math.max(1, s.launches()), s.bytes() / Math.max(1, s.launches()),
                    secs > 0 ? s.bytes() / secs / 1e9 : 0, secs > 0 ? 100 * s.bytes() / secs / bw : 0);
        }
        System.out.printf("%-58s %8s %10.1f %12d %10.2f %7.1f%%  (per step: device time and bytes)%n", "all kernels", "", totalNs / 1e3 / decodeTokens, totalBytes / decodeTokens,
                totalNs > 0 ? totalBytes / (totalNs / 1e9) / 1e9 : 0, totalNs > 0 ? 100 * totalBytes / (totalNs / 1e9) / bw : 0);
    }

    private static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
