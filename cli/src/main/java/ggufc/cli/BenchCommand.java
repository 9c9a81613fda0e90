package ggufc.cli;

import ggufc.codegen.vector.kernels.Vec;
import ggufc.gguf.GgufFile;
import ggufc.runtime.artifact.JvmCache;
import ggufc.runtime.bench.DecodeTraffic;
import ggufc.runtime.bench.MemoryBandwidth;
import ggufc.runtime.bench.ReferenceBench;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * ggufc against the llama.cpp reference on the same GGUF files, same prompt length, same threads,
 * back to back: each model is compiled once (timed), then for every thread count llama.cpp's
 * {@code bench.sh} and a ggufc worker process run the same protocol ({@code refllama bench}: a
 * P-token prompt, then N greedy decode steps; medians of the repetitions after a warm-up). Peak
 * RSS is each process's own (GNU time's maximum resident set, or the worker's VmHWM). The decode
 * roofline is the weight bytes a token reads over the memory read bandwidth measured in the same run.
 * Cold start is measured as a user meets it: {@code ggufc run --artifact ART -p "Once upon a time" -n 1
 * --temp 0} as a new process through the {@code ./ggufc} launcher, from its start to the first byte of
 * generated text on its stdout, with and without the artifact's JVM cache.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"On the CPU (default): compare compiled ggufc with llama.cpp (the reference's bench.sh) on the same GGUF files: prompt and decode "
            + "tokens/s, peak RSS, ratios, and the decode bandwidth roofline (weight bytes per token / measured memory read bandwidth); Markdown tables on "
            + "stdout, progress on stderr.",
            "With --device opencl:N|cuda:N (or --backend interpreter): prompt and decode speed on that device and, on GPU devices, each kernel's device "
            + "time, the bytes it must move and the fraction of the device's measured copy bandwidth it reaches."})
final class BenchCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "GGUF", description = "Model file(s), repeatable (looked up like `run --model`).")
    List<String> models;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu (compiled vector code vs llama.cpp), opencl:N, opencl:N:spirv or cuda:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--backend", defaultValue = "vector", description = "With --device cpu: vector (compiled, against llama.cpp) or interpreter (its speed only) (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = {"-p", "--prompt-tokens"}, defaultValue = "128", description = "Prompt length in tokens (default: ${DEFAULT-VALUE}).")
    int prompt;

    @Option(names = {"-n", "--decode-tokens"}, defaultValue = "128", description = "Decode steps after the prompt (default: ${DEFAULT-VALUE}).")
    int decode;

    @Option(names = {"-t", "--threads"}, split = ",", defaultValue = "1,2", description = "Thread counts, comma separated (default: ${DEFAULT-VALUE}).")
    List<Integer> threads;

    @Option(names = {"-r", "--reps"}, defaultValue = "3", description = "Timed repetitions per side after one warm-up (default: ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--reference", paramLabel = "DIR", description = "The llama.cpp reference folder holding bench.sh (default: $GGUFC_REFERENCE, ../shared/reference, or next to the ggufc checkout).")
    Path reference;

    @Option(names = "--no-reference", description = "Measure ggufc only.")
    boolean noReference;

    @Option(names = "--passes", defaultValue = "default", description = "Pass pipeline for `ggufc compile`: default (the vector target's), none (the lifted graph), or a list; compare two runs to see what the passes do to speed (default: ${DEFAULT-VALUE}).")
    String passes;

    @Option(names = "--work", paramLabel = "DIR", description = "Where compiled artifacts go (default: a temporary folder, deleted at the end).")
    Path work;

    @Option(names = "--warmup-s", defaultValue = "3", description = "ggufc warm-up: after the first (cold) run, more runs until this many seconds have passed, so the JIT has compiled the kernels (default: ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Option(names = "--bandwidth-mib", defaultValue = "1024", description = "Size of the bandwidth probe's buffer in MiB (default: ${DEFAULT-VALUE}).")
    int bandwidthMib;

    @Option(names = "--cold-runs", defaultValue = "3", description = "Cold starts of `ggufc run --artifact ART -p \"Once upon a time\" -n 1 --temp 0` per model, "
            + "with and without the artifact's JVM cache (median reported; 0 = none) (default: ${DEFAULT-VALUE}).")
    int coldRuns;

    @Option(names = "--spec-type", paramLabel = "early-exit", description = "Instead of the llama.cpp comparison: speculative against plain greedy decoding in one warm process "
            + "(vector backend): the early exit's layer and draft length chosen by measurement (each candidate layer's agreement with the model on its own continuation of "
            + "--spec-prompt, warm draft and verify step costs, the loop replayed for every pair), then the chosen pair, the defaults and ngram run beside plain decoding, "
            + "alternating, medians of --reps rounds, every text checked equal to plain decoding's. -n is the tokens generated per run.")
    String specType;

    @Option(names = "--spec-prompt", defaultValue = "Once upon a time", paramLabel = "TEXT", description = "With --spec-type: the prompt (default: ${DEFAULT-VALUE}).")
    String specPrompt;

    @Option(names = {"--draft-max", "--spec-draft-n-max"}, defaultValue = "8", paramLabel = "D", description = "With --spec-type: draft lengths tried, 1 .. D (default: ${DEFAULT-VALUE}).")
    int draftMax;

    /** The cold-start command: the (time from `ggufc run --artifact` to the first token). */
    static final List<String> COLD_RUN = List.of("-p", "Once upon a time", "-n", "1", "--temp", "0");

    /** One model x threads measurement. */
    record Row(String model, int threads, Map<String, String> ggufc, ReferenceBench ref, long refRssKb, double rooflineTps) {}

    @Override
    public Integer call() throws IOException {
        if (prompt < 1 || decode < 1 || reps < 1) throw new IllegalArgumentException("-p, -n and --reps must be >= 1");
        if (!backend.equals("vector") && !backend.equals("interpreter")) throw new IllegalArgumentException("--backend must be vector or interpreter, got '" + backend + "'");
        if (specType != null) {
            if (!specType.equals("early-exit")) throw new IllegalArgumentException("--spec-type: the bench tunes early-exit (ngram runs beside it), got '" + specType + "'");
            if (!device.equals("cpu") || !backend.equals("vector")) throw new IllegalArgumentException("--spec-type runs on the CPU's vector backend");
            for (int t : threads) if (t < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + t);
            List<Path> files = models.stream().map(ModelLocator::resolve).toList();
            SpecBench sb = new SpecBench(specPrompt, decode, reps, draftMax, warmupSeconds, System.out);
            sb.header(files, threads);
            for (Path f : files) for (int t : threads) sb.run(f, t);
            return 0;
        }
        if (!device.equals("cpu") || backend.equals("interpreter")) {
            for (String m : models) DeviceBench.run(ModelLocator.resolve(m), device, backend, prompt, decode, reps);
            return 0;
        }
        for (int t : threads) if (t < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + t);
        Path benchSh = noReference ? null : referenceScript();
        List<Path> files = models.stream().map(ModelLocator::resolve).toList();
        PrintStream out = System.out;
        boolean ownWork = work == null;
        Path dir = ownWork ? Files.createTempDirectory("ggufc-bench") : Files.createDirectories(work);
        try {
            out.printf("# ggufc bench, %s%n%n", Instant.now().truncatedTo(ChronoUnit.SECONDS));
            out.printf("- machine: %s, %d cores; load average at start %s%n", cpuModel(), Runtime.getRuntime().availableProcessors(), loadAverage());
            out.printf("- java %s, %s%n", System.getProperty("java.version"), Vec.describe());
            Map<Integer, Double> bandwidth = new LinkedHashMap<>();
            List<Integer> bwThreads = new ArrayList<>(threads);
            if (!bwThreads.contains(1)) bwThreads.add(0, 1);
            for (int t : bwThreads) {
                progress("memory bandwidth probe, %d thread(s)", t);
                bandwidth.put(t, MemoryBandwidth.measure((long) bandwidthMib << 20, t, 5));
            }
            out.printf("- memory read bandwidth (streaming probe over %d MiB, best of 5): %s%n", bandwidthMib, String.join(", ",
                    bandwidth.entrySet().stream().map(e -> String.format(Locale.ROOT, "%d thread%s %.1f GB/s", e.getKey(), e.getKey() == 1 ? "" : "s", e.getValue())).toList()));
            out.printf("- protocol: prompt %d tokens (BOS + refllama's pseudo-random tokens) as one batch, then %d greedy decode steps (EOS ignored); "
                    + "%d timed runs after a warm-up, medians; llama.cpp: `bench.sh MODEL %d %d T %d --kv f32 --fa off` (refllama bench; llama-bench for reference)%n",
                    prompt, decode, reps, prompt, decode, reps);
            out.printf("- ggufc: `ggufc compile --ctx %d --passes " + passes + "`, then a worker process that loads the artifact (weights memory-mapped from the GGUF, KV cache f32); "
                    + "its first run is cold (figures in the second table), warm-up runs follow for %.0f s (llama.cpp: one warm-up run)%n", prompt + decode + 1, warmupSeconds);
            List<String> launcher = launcher();
            if (coldRuns > 0) {
                out.printf("- cold start: `ggufc run --artifact ART %s` in a new process, %s; ms from starting the process to the first byte of generated text on its stdout "
                        + "(to its exit in parentheses), median of %d runs, runs with the artifact's JVM cache (jvm.aot) alternating with runs without it (GGUFC_JVM_CACHE=0)%n",
                        String.join(" ", JvmCache.quoted(COLD_RUN)),
                        launcher != null ? "through the ./ggufc launcher (its JDK pick and build check included)"
                                : "through `java` with this JVM's options and class path (no ./ggufc launcher found: no JVM cache)", coldRuns);
            }
            out.println();

            List<Row> rows = new ArrayList<>();
            Map<String, String[]> compiles = new LinkedHashMap<>();
            for (Path gguf : files) {
                String name = gguf.getFileName().toString();
                long perToken, mapped;
                try (GgufFile f = GgufFile.open(gguf)) {
                    perToken = DecodeTraffic.weightBytesPerToken(f);
                    mapped = DecodeTraffic.weightBytes(f);
                }
                Path artifact = dir.resolve(name.replaceAll("\\.gguf$", "") + ".aot");
                progress("%s: ggufc compile", name);
                Child c = runChild(javaCommand("compile", "--model", gguf.toString(), "-o", artifact.toString(), "--ctx", Integer.toString(prompt + decode + 1), "--passes", passes));
                if (c.exit != 0) throw new IllegalStateException(name + ": ggufc compile failed: " + c.lastErrLine());
                Matcher cm = Pattern.compile("in (\\d+) ms").matcher(c.err);
                String[] cold = {"-", "-"};
                if (coldRuns > 0) {
                    progress("%s: %d cold starts of `ggufc run --artifact`", name, coldRuns * (launcher != null && Files.isRegularFile(artifact.resolve(JvmCache.FILE)) ? 2 : 1));
                    cold = coldStarts(launcher, artifact, coldRuns);
                }
                compiles.put(name, new String[] {cm.find() ? cm.group(1) : "?", Long.toString(c.wallMs), Long.toString(c.maxRssKb), Long.toString(perToken), Long.toString(mapped),
                        cold[0], cold[1]});
                for (int t : threads) {
                    ReferenceBench ref = null;
                    long refRss = -1;
                    if (benchSh != null) {
                        progress("%s, %d thread(s): llama.cpp bench.sh", name, t);
                        Child r = runChild(List.of("bash", benchSh.toString(), gguf.toString(), Integer.toString(prompt), Integer.toString(decode), Integer.toString(t),
                                Integer.toString(reps), "--kv", "f32", "--fa", "off"));
                        if (r.exit != 0) throw new IllegalStateException(name + ": bench.sh failed: " + r.lastErrLine());
                        ref = ReferenceBench.parse(r.out);
                        refRss = r.maxRssKb;
                    }
                    progress("%s, %d thread(s): ggufc", name, t);
                    Child g = runChild(javaCommand("bench-worker", "--artifact", artifact.toString(), "--model", gguf.toString(), "-p", Integer.toString(prompt),
                            "-n", Integer.toString(decode), "--threads", Integer.toString(t), "--reps", Integer.toString(reps), "--warmup-s", Double.toString(warmupSeconds)));
                    if (g.exit != 0) throw new IllegalStateException(name + ": ggufc bench worker failed: " + g.lastErrLine());
                    Map<String, String> kv = keyValues(g.out);
                    if (g.maxRssKb > 0) kv.put("peak_rss_kb", Long.toString(g.maxRssKb));
                    double bw = bandwidth.getOrDefault(t, bandwidth.get(1));
                    rows.add(new Row(name, t, kv, ref, refRss, bw * 1e9 / perToken));
                    progress("%s, %d thread(s): ggufc prompt %s decode %s tok/s; llama.cpp prompt %s decode %s tok/s", name, t, kv.get("prompt_tps"), kv.get("decode_tps"),
                            ref == null ? "-" : fmt(ref.promptTps()), ref == null ? "-" : fmt(ref.decodeTps()));
                }
            }
            out.printf("- load average at end %s%n%n", loadAverage());
            printTables(out, rows, compiles);
        } finally {
            if (ownWork) deleteTree(dir);
        }
        return 0;
    }

    private void printTables(PrintStream out, List<Row> rows, Map<String, String[]> compiles) {
        out.println("| model | threads | prompt tok/s ggufc | llama.cpp | ratio | decode tok/s ggufc | llama.cpp | ratio | roofline tok/s | ggufc % of roofline | peak RSS MB ggufc | llama.cpp |");
        out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (Row r : rows) {
            double gp = num(r.ggufc.get("prompt_tps")), gd = num(r.ggufc.get("decode_tps"));
            double lp = r.ref == null ? Double.NaN : r.ref.promptTps(), ld = r.ref == null ? Double.NaN : r.ref.decodeTps();
            out.printf(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", r.model, r.threads, fmt(gp), fmt(lp), ratio(gp, lp), fmt(gd), fmt(ld),
                    ratio(gd, ld), fmt(r.rooflineTps), Double.isNaN(gd) ? "-" : String.format(Locale.ROOT, "%.0f %%", 100 * gd / r.rooflineTps),
                    mb(num(r.ggufc.get("peak_rss_kb"))), mb(r.refRssKb));
        }
        out.println();
        out.println("| model | mapped weights MB | weights read per decode token MB | ggufc compile ms (in process) | compile wall ms (with the JVM cache's training run) "
                + "| compile peak RSS MB | ggufc load ms | bench worker: JVM start to first sampled token of the P-token prompt, cold, ms "
                + "| cold start `run --artifact -n 1`: first token (exit) ms, JVM cache | same, no JVM cache "
                + "| ggufc cold run prompt / decode tok/s (threads) | llama-bench pp / tg tok/s (threads) |");
        out.println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |");
        for (Map.Entry<String, String[]> e : compiles.entrySet()) {
            String[] c = e.getValue();
            Row first = rows.stream().filter(r -> r.model.equals(e.getKey())).findFirst().orElse(null);
            StringBuilder lb = new StringBuilder(), cold = new StringBuilder();
            for (Row r : rows) {
                if (r.model.equals(e.getKey())) cold.append(cold.isEmpty() ? "" : "; ").append(fmt(num(r.ggufc.get("cold_prompt_tps")))).append(" / ")
                        .append(fmt(num(r.ggufc.get("cold_decode_tps")))).append(" (").append(r.threads).append(')');
                if (r.model.equals(e.getKey()) && r.ref != null) lb.append(lb.isEmpty() ? "" : "; ").append(fmt(r.ref.llamaBenchPp())).append(" / ").append(fmt(r.ref.llamaBenchTg())).append(" (").append(r.threads).append(')');
            }
            out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", e.getKey(), mb(Long.parseLong(c[4]) / 1024.0), mb(Long.parseLong(c[3]) / 1024.0), c[0], c[1],
                    mb(Long.parseLong(c[2])), first == null ? "-" : first.ggufc.getOrDefault("load_ms", "-"), first == null ? "-" : first.ggufc.getOrDefault("first_token_ms", "-"),
                    c[5], c[6], cold.isEmpty() ? "-" : cold.toString(), lb.isEmpty() ? "-" : lb.toString());
        }
    }

    private Path referenceScript() {
        List<Path> candidates = new ArrayList<>();
        if (reference != null) candidates.add(reference);
        String env = System.getenv("GGUFC_REFERENCE");
        if (reference == null && env != null && !env.isBlank()) candidates.add(Path.of(env));
        if (reference == null) {
            candidates.add(Path.of("..", "shared", "reference"));
            String home = System.getProperty("ggufc.home");
            if (home != null) candidates.add(Path.of(home).resolve("../shared/reference").normalize());
        }
        for (Path c : candidates) {
            Path sh = Files.isDirectory(c) ? c.resolve("bench.sh") : c;
            if (Files.isRegularFile(sh)) return sh;
        }
        throw new IllegalArgumentException("llama.cpp reference bench.sh not found (looked in " + candidates + "); give --reference DIR or --no-reference");
    }

    // ---- cold starts ---------------------------------------------------------------------------

    /** The ./ggufc launcher beside this ggufc's build ({@code -Dggufc.home}, which the launcher sets), or null. */
    static List<String> launcher() {
        String home = System.getProperty("ggufc.home");
        if (home == null) return null;
        Path l = Path.of(home, "ggufc");
        return Files.isExecutable(l) ? List.of(l.toString()) : null;
    }

    /**
     * {@code runs} cold starts of {@code run --artifact} with the JVM cache (when the launcher runs
     * them and the artifact has one) alternating with runs without it: {"first (exit)", "first
     * (exit)"} medians in ms, "-" for a side not measured.
     */
    static String[] coldStarts(List<String> launcher, Path artifact, int runs) throws IOException {
        boolean cache = launcher != null && Files.isRegularFile(artifact.resolve(JvmCache.FILE));
        List<String> args = new ArrayList<>(List.of("run", "--artifact", artifact.toString()));
        args.addAll(COLD_RUN);
        List<String> cmd = new ArrayList<>();
        if (launcher != null) {
            cmd.addAll(launcher);
            cmd.addAll(args);
        } else {
            cmd.addAll(javaCommand(args.toArray(String[]::new)));
        }
        long[][] with = new long[runs][], without = new long[runs][];
        for (int i = 0; i < runs; i++) {
            if (cache) with[i] = coldStart(cmd, null);
            without[i] = coldStart(cmd, "0");
        }
        return new String[] {cache ? medianFirstExit(with) : "-", medianFirstExit(without)};
    }

    private static String medianFirstExit(long[][] runs) {
        double[] first = new double[runs.length], exit = new double[runs.length];
        for (int i = 0; i < runs.length; i++) {
            first[i] = runs[i][0];
            exit[i] = runs[i][1];
        }
        return String.format(Locale.ROOT, "%.0f (%.0f)", ggufc.runtime.bench.BenchRun.median(first), ggufc.runtime.bench.BenchRun.median(exit));
    }

    /**
     * Starts {@code cmd} (with {@code GGUFC_JVM_CACHE} set to {@code jvmCache}, or unset when null)
     * and returns {ms until the first byte on its stdout, ms until it exited}; a run that fails
     * throws with its last line of stderr.
     */
    static long[] coldStart(List<String> cmd, String jvmCache) throws IOException {
        Path errF = Files.createTempFile("ggufc-bench", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(errF.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            if (jvmCache == null) pb.environment().remove("GGUFC_JVM_CACHE"); else pb.environment().put("GGUFC_JVM_CACHE", jvmCache);
            long t0 = System.nanoTime();
            Process p = pb.start();
            long first;
            try (var in = p.getInputStream()) {
                in.read(); // the first byte of generated text (or end of output)
                first = System.nanoTime() - t0;
                in.transferTo(java.io.OutputStream.nullOutputStream());
            }
            int exit = p.waitFor();
            long wall = System.nanoTime() - t0;
            if (exit != 0) {
                String[] l = Files.readString(errF, StandardCharsets.UTF_8).strip().split("\n");
                throw new IllegalStateException("cold start `" + String.join(" ", cmd) + "` failed: " + l[l.length - 1]);
            }
            return new long[] {first / 1_000_000, wall / 1_000_000};
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            Files.deleteIfExists(errF);
        }
    }

    // ---- child processes -----------------------------------------------------------------------

    record Child(int exit, String out, String err, long wallMs, long maxRssKb) {
        String lastErrLine() {
            String[] l = err.strip().split("\n");
            return l.length == 0 ? "(no output)" : l[l.length - 1];
        }
    }

    private static final Path GNU_TIME = Path.of("/usr/bin/time");

    /** Runs {@code cmd} (under GNU time when present, for its peak RSS) and collects its output. */
    static Child runChild(List<String> cmd) throws IOException {
        Path rss = Files.createTempFile("ggufc-bench", ".rss");
        Path outF = Files.createTempFile("ggufc-bench", ".out"), errF = Files.createTempFile("ggufc-bench", ".err");
        try {
            List<String> full = new ArrayList<>();
            boolean timed = Files.isExecutable(GNU_TIME);
            if (timed) full.addAll(List.of(GNU_TIME.toString(), "-f", "%M", "-o", rss.toString()));
            full.addAll(cmd);
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(full).redirectOutput(outF.toFile()).redirectError(errF.toFile()).start();
            int exit = p.waitFor();
            long wall = (System.nanoTime() - t0) / 1_000_000;
            long kb = -1;
            if (timed) {
                String s = Files.readString(rss).strip();
                if (s.matches("\\d+")) kb = Long.parseLong(s); else if (s.lines().reduce((a, b) -> b).orElse("").matches("\\d+")) kb = Long.parseLong(s.lines().reduce((a, b) -> b).get());
            }
            String err = Files.readString(errF, StandardCharsets.UTF_8).lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).reduce("", (a, b) -> a + b + "\n");
            return new Child(exit, Files.readString(outF, StandardCharsets.UTF_8), err, wall, kb);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            Files.deleteIfExists(rss);
            Files.deleteIfExists(outF);
            Files.deleteIfExists(errF);
        }
    }

    /** This JVM's command line (same java, flags and class path) running {@code ggufc args}. */
    static List<String> javaCommand(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib") && !a.startsWith("-javaagent") && !a.startsWith("-XX:+FlightRecorder") && !a.startsWith("-XX:StartFlightRecording")) cmd.add(a);
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }

    static Map<String, String> keyValues(String out) {
        Map<String, String> kv = new HashMap<>();
        for (String line : out.lines().toList()) {
            if (!line.startsWith("ggufc-bench ")) continue;
            for (String tok : line.substring(12).trim().split("\\s+")) {
                int eq = tok.indexOf('=');
                if (eq > 0) kv.put(tok.substring(0, eq), tok.substring(eq + 1));
            }
        }
        if (!kv.containsKey("decode_tps")) throw new IllegalStateException("the ggufc bench worker printed no result: " + out.strip());
        return kv;
    }

    // ---- formatting ----------------------------------------------------------------------------

    private static void progress(String fmt, Object... args) {
        System.err.printf("ggufc bench: " + fmt + "%n", args);
    }

    static String cpuModel() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) return l.substring(l.indexOf(':') + 1).trim();
            }
        } catch (IOException | UncheckedIOException e) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    private static double num(String s) {
        try {
            return s == null ? Double.NaN : Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    static String fmt(double v) {
        if (Double.isNaN(v)) return "-";
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String ratio(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) || b == 0 ? "-" : String.format(Locale.ROOT, "%.2f x", a / b);
    }

    private static String mb(double kb) {
        return kb < 0 || Double.isNaN(kb) ? "-" : String.format(Locale.ROOT, "%.0f", kb / 1024);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
