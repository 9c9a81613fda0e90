package ggufc.cli;

import ggufc.runtime.LoadedModel;
import ggufc.runtime.bench.BenchRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The ggufc side of {@code ggufc bench}, run as a child process so its peak RSS is its own: loads
 * an artifact, runs {@link BenchRun}, prints one {@code key=value} line.
 */
@Command(name = "bench-worker", hidden = true, description = "One ggufc measurement for `ggufc bench` (prints key=value).")
final class BenchWorkerCommand implements Callable<Integer> {
    @Option(names = "--artifact", required = true)
    Path artifact;

    @Option(names = "--model")
    String model;

    @Option(names = "-p", required = true)
    int prompt;

    @Option(names = "-n", required = true)
    int decode;

    @Option(names = "--threads", required = true)
    int threads;

    @Option(names = "--reps", defaultValue = "3")
    int reps;

    @Option(names = "--warmup-s", defaultValue = "2")
    double warmupSeconds;

    @Override
    public Integer call() throws Exception {
        long jvmStart = ProcessHandle.current().info().startInstant().map(i -> i.toEpochMilli()).orElse(System.currentTimeMillis());
        long t0 = System.nanoTime();
        try (LoadedModel m = LoadedModel.openArtifact(artifact, model == null ? null : ModelLocator.resolve(model), prompt + decode + 1, threads)) {
            long loadMs = (System.nanoTime() - t0) / 1_000_000;
            BenchRun.Result r = BenchRun.run(m, prompt, decode, reps, jvmStart, (long) (warmupSeconds * 1e9));
            System.out.printf(java.util.Locale.ROOT, "ggufc-bench load_ms=%d first_token_ms=%d prompt_tps=%.1f decode_tps=%.1f prompt_runs=%s decode_runs=%s"
                    + " cold_prompt_tps=%.1f cold_decode_tps=%.1f warmup_runs=%d peak_rss_kb=%d%n", loadMs, r.firstTokenMillis(), r.promptMedian(), r.decodeMedian(),
                    runs(r.promptTps()), runs(r.decodeTps()), r.coldPromptTps(), r.coldDecodeTps(), r.warmupRuns(), peakRssKb());
        }
        return 0;
    }

    private static String runs(double[] x) {
        return Arrays.stream(x).mapToObj(v -> String.format(java.util.Locale.ROOT, "%.1f", v)).collect(Collectors.joining(","));
    }

    /** VmHWM (peak resident set) of this process from /proc, -1 where there is no /proc. */
    static long peakRssKb() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmHWM:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        } catch (java.io.IOException | RuntimeException e) {
            // not Linux: no figure
        }
        return -1;
    }
}
