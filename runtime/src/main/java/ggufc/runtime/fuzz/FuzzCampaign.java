package ggufc.runtime.fuzz;

import ggufc.gguf.GgufFile;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.lift.GgufWeights;
import ggufc.lift.LlamaLifter;
import ggufc.passes.PassContext;
import ggufc.passes.PassManager;
import ggufc.passes.Pipelines;
import ggufc.passes.Targets;
import ggufc.runtime.KvBudget;
import ggufc.runtime.LoadedModel;
import ggufc.runtime.SamplerOptions;
import ggufc.runtime.artifact.Artifact;
import ggufc.codegen.vector.plan.Lowering;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import jdk.jfr.consumer.RecordingStream;

/**
 * The fuzz campaign: mutated GGUF files (in memory, {@link GgufMutator}) through everything a user's
 * command runs — the reader, the tokenizer, the lifter, the vector target's pass pipeline and
 * lowering, and a prompt step plus one decode step on the vector backend — and tampered artifacts
 * ({@link ArtifactMutator}) through {@code run --artifact}'s loading and a step. Each case runs on a
 * worker thread with a time limit, and is classified:
 * <ul>
 * <li>{@code ran}: accepted and ran (a mutation the format tolerates, e.g. a changed weight);
 * <li>{@code refused}: an exception of the kinds the CLI reports as one line
 *     ({@code GgufException}, {@code IllegalArgumentException}, {@code IllegalStateException},
 *     {@code UnsupportedOperationException}, {@code UncheckedIOException}) whose message starts
 *     with the file's name (for an artifact: names the artifact folder or its model);
 * <li>{@code unclear}: such an exception whose message does not name the file;
 * <li>{@code crash}: any other throwable (a null pointer, an index out of bounds, an Error);
 * <li>{@code hang}: still running after the time limit.
 * </ul>
 * Allocation: the bytes each case allocates on the heap (its thread's count), and the largest
 * single allocation (JFR's allocation-outside-TLAB events, which every large array makes), set
 * against twice the input's size plus the KV cache the case asked for: twice, because a metadata
 * string decoded to a Java {@code String} takes two bytes a character once it holds one character
 * beyond Latin-1 (UTF-16), so a file that is one long string of junk costs twice its size.
 */
public final class FuzzCampaign implements AutoCloseable {
    public enum Outcome { RAN, REFUSED, UNCLEAR, CRASH, HANG }

    public record Options(int cases, int artifactCases, long seed, long timeoutMillis, int ctx, List<Path> seeds, Path artifact, Path saveDir) {}

    /** One case that was not ran/refused, for the report. */
    public record Finding(int index, Outcome outcome, String seed, String mutation, String problem) {}

    public static final class Report {
        public final Map<Outcome, Integer> gguf = new EnumMap<>(Outcome.class), artifacts = new EnumMap<>(Outcome.class);
        public final List<Finding> findings = new ArrayList<>();
        public final Map<String, Integer> refusalKinds = new java.util.TreeMap<>();
        public long largestAllocation, largestAllocationBound;
        public String largestAllocationCase = "";
        public long maxCaseAllocation;
        public String maxCaseAllocationCase = "";
        public long overBound;
        /** The first allocations over their case's bound, described. */
        public final List<String> overBoundCases = new ArrayList<>();
        public long nanos;

        public int count(Outcome o) { return gguf.getOrDefault(o, 0) + artifacts.getOrDefault(o, 0); }
    }

    private final Options opt;
    private final Report report = new Report();
    private ExecutorService worker = newWorker();
    private int workerGeneration;
    // case windows (epoch nanos) and bounds, for the JFR allocation events
    private long[] caseStart, caseEnd, caseBound;
    private String[] caseName;

    public FuzzCampaign(Options opt) { this.opt = opt; }

    private ExecutorService newWorker() {
        int gen = ++workerGeneration;
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "ggufc-fuzz-" + gen);
            t.setDaemon(true);
            return t;
        });
    }

    private GgufMutator single;

    /**
     * One case for property tests: the GGUF mutation that {@code seed} draws, run and classified as
     * in the campaign; null when it ran or was refused cleanly, else what went wrong. Not thread safe.
     */
    public Finding oneCase(long seed) {
        if (single == null) {
            List<GgufMutator.Seed> seeds = seeds();
            single = new GgufMutator(seeds);
            warmUp(seeds);
            caseArrays(1);
        }
        GgufMutator.Mutant m = single.mutate(new Random(seed));
        caseName[0] = m.seed() + " [" + m.what() + "]";
        caseBound[0] = 2L * m.bytes().length;
        int before = report.findings.size();
        record(0, false, m.seed(), m.what(), m.bytes(), () -> ggufCase(m));
        return report.findings.size() > before ? report.findings.get(report.findings.size() - 1) : null;
    }

    /** Runs the campaign; {@code progress} gets the number of cases done so far now and then. */
    public Report run(Consumer<Integer> progress) {
        long t0 = System.nanoTime();
        List<GgufMutator.Seed> seeds = seeds();
        GgufMutator mutator = new GgufMutator(seeds);
        warmUp(seeds);
        int total = opt.cases() + opt.artifactCases();
        caseArrays(total);
        List<long[]> allocations = java.util.Collections.synchronizedList(new ArrayList<>());
        List<String> classes = java.util.Collections.synchronizedList(new ArrayList<>());
        try (RecordingStream rs = new RecordingStream()) {
            rs.enable("jdk.ObjectAllocationOutsideTLAB");
            rs.onEvent("jdk.ObjectAllocationOutsideTLAB", e -> {
                if (e.getThread("eventThread") != null && String.valueOf(e.getThread("eventThread").getJavaName()).startsWith("ggufc-fuzz-")) {
                    Instant at = e.getStartTime();
                    synchronized (allocations) {
                        allocations.add(new long[] {at.getEpochSecond() * 1_000_000_000L + at.getNano(), e.getLong("allocationSize"), classes.size()});
                        classes.add(e.getClass("objectClass") == null ? "?" : e.getClass("objectClass").getName());
                    }
                }
            });
            rs.startAsync();
            Random r = new Random(opt.seed());
            for (int i = 0; i < opt.cases(); i++) {
                GgufMutator.Mutant m = mutator.mutate(r);
                caseName[i] = m.seed() + " [" + m.what() + "]";
                caseBound[i] = 2L * m.bytes().length;
                record(i, false, m.seed(), m.what(), m.bytes(), () -> ggufCase(m));
                if (i % 1000 == 999) progress.accept(i + 1);
            }
            if (opt.artifactCases() > 0) {
                ArtifactMutator am = new ArtifactMutator(opt.artifact());
                Path work = tempDir("ggufc-fuzz-artifact");
                long artifactBytes = 2 * (am.bytes() + modelBytes(opt.artifact()));
                for (int j = 0; j < opt.artifactCases(); j++) {
                    int i = opt.cases() + j;
                    String what = am.mutate(work, r);
                    caseName[i] = "artifact [" + what + "]";
                    caseBound[i] = artifactBytes;
                    record(i, true, "artifact", what, null, () -> artifactCase(work));
                    if (i % 1000 == 999) progress.accept(i + 1);
                }
            }
            rs.stop();
        }
        attribute(allocations, classes);
        worker.shutdownNow();
        report.nanos = System.nanoTime() - t0;
        return report;
    }

    /** The size of the GGUF an artifact was compiled from. */
    private static long modelBytes(Path artifact) {
        try {
            return Files.size(Path.of(Artifact.verify(artifact, null).require("model.path")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void caseArrays(int n) {
        caseStart = new long[n];
        caseEnd = new long[n];
        caseBound = new long[n];
        caseName = new String[n];
    }

    /** The seed files, read and walked. */
    private List<GgufMutator.Seed> seeds() {
        List<GgufMutator.Seed> seeds = new ArrayList<>();
        for (Path p : opt.seeds()) {
            try {
                seeds.add(GgufMutator.seed(p.getFileName().toString(), Files.readAllBytes(p)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return seeds;
    }

    /**
     * Runs each unmutated seed once, uncounted: the first pass through the pipeline in a new JVM
     * loads and JIT-compiles its classes and takes seconds, which the time limit would call a hang.
     */
    private void warmUp(List<GgufMutator.Seed> seeds) {
        for (GgufMutator.Seed s : seeds) {
            try {
                worker.submit(() -> ggufCase(new GgufMutator.Mutant(s.name(), s.bytes(), "none"))).get();
            } catch (Exception e) {
                throw new IllegalArgumentException(s.name() + ": the unmutated seed file does not run (" + e.getMessage() + "); give a valid GGUF", e);
            }
        }
    }

    private static Path tempDir(String name) {
        try {
            Path shm = Path.of("/dev/shm");
            return Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, name) : Files.createTempDirectory(name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FunctionalInterface
    private interface Case {
        /** Runs the case; returns the KV bytes it reserved. Throws what the code under test throws. */
        long run() throws Exception;
    }

    private void record(int i, boolean artifact, String seed, String what, byte[] input, Case c) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        caseStart[i] = epochNanos();
        Future<Object[]> f = worker.submit(() -> {
            long before = threads.getCurrentThreadAllocatedBytes();
            try {
                long kv = c.run();
                return new Object[] {null, kv, threads.getCurrentThreadAllocatedBytes() - before};
            } catch (Throwable t) {
                return new Object[] {t, 0L, threads.getCurrentThreadAllocatedBytes() - before};
            }
        });
        Outcome o;
        String problem = null;
        try {
            Object[] res = f.get(opt.timeoutMillis(), TimeUnit.MILLISECONDS);
            Throwable t = (Throwable) res[0];
            caseBound[i] += (Long) res[1];
            long alloc = (Long) res[2];
            if (alloc > report.maxCaseAllocation) {
                report.maxCaseAllocation = alloc;
                report.maxCaseAllocationCase = "case " + i + ": " + caseName[i];
            }
            if (t == null) {
                o = Outcome.RAN;
            } else {
                o = classify(t, artifact ? opt.artifact() : null, seed);
                problem = t.getClass().getSimpleName() + ": " + t.getMessage() + (o == Outcome.CRASH ? " at " + topFrame(t) : "");
                if (o == Outcome.REFUSED) report.refusalKinds.merge(refusalKind(t.getMessage(), seed), 1, Integer::sum);
            }
        } catch (TimeoutException e) {
            f.cancel(true);
            worker.shutdownNow();
            worker = newWorker(); // the stuck thread is abandoned (a daemon); the next case gets a new one
            o = Outcome.HANG;
            problem = "still running after " + opt.timeoutMillis() + " ms";
        } catch (Exception e) {
            o = Outcome.CRASH;
            problem = e.toString();
        }
        caseEnd[i] = epochNanos();
        (artifact ? report.artifacts : report.gguf).merge(o, 1, Integer::sum);
        if (o != Outcome.RAN && o != Outcome.REFUSED) {
            report.findings.add(new Finding(i, o, seed, what, problem));
            save(i, o, input);
        }
    }

    private static long epochNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private void save(int i, Outcome o, byte[] input) {
        if (opt.saveDir() == null || input == null) return;
        try {
            Files.createDirectories(opt.saveDir());
            Files.write(opt.saveDir().resolve(String.format(Locale.ROOT, "case-%06d-%s.gguf", i, o.name().toLowerCase(Locale.ROOT))), input);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The user-visible kinds of exception: what the CLI prints as one line. */
    static boolean isRefusalType(Throwable t) {
        return t instanceof ggufc.gguf.GgufException || t instanceof IllegalArgumentException || t instanceof IllegalStateException
                || t instanceof UnsupportedOperationException || t instanceof UncheckedIOException;
    }

    static Outcome classify(Throwable t, Path artifact, String seed) {
        if (!isRefusalType(t) || t.getMessage() == null || t.getMessage().isBlank()) return Outcome.CRASH;
        // a re-signed artifact's own code failing is the artifact's problem, reported as such
        if (t instanceof ggufc.runtime.artifact.ArtifactCodeException) return artifact != null ? Outcome.REFUSED : Outcome.CRASH;
        // a refusal wrapping a bug is still the bug
        for (Throwable c = t.getCause(); c != null; c = c.getCause()) {
            if (c instanceof RuntimeException && !isRefusalType(c) && !(c instanceof ggufc.ir.IrException) && !(c instanceof ggufc.passes.PassException)) return Outcome.CRASH;
            if (c instanceof Error && !(c instanceof LinkageError)) return Outcome.CRASH;
        }
        String msg = t.getMessage();
        boolean names = artifact != null ? msg.contains("ggufc-fuzz-artifact") || msg.contains(".gguf") : msg.startsWith(seed + ": ");
        if (msg.lines().count() > 1) return Outcome.UNCLEAR;
        return names ? Outcome.REFUSED : Outcome.UNCLEAR;
    }

    /** A refusal message without its variable parts, to count kinds of refusal. */
    private static String refusalKind(String msg, String seed) {
        String s = msg.startsWith(seed + ": ") ? msg.substring(seed.length() + 2) : msg;
        s = s.replaceAll("ggufc-fuzz-artifact[0-9]*", "ART").replaceAll("'[^']*'", "'…'").replaceAll("-?[0-9][0-9.,]*", "N");
        return s.length() > 90 ? s.substring(0, 90) + "…" : s;
    }

    private static String topFrame(Throwable t) {
        StackTraceElement[] st = t.getStackTrace();
        for (StackTraceElement e : st) if (e.getClassName().startsWith("ggufc.")) return e.toString();
        return st.length > 0 ? st[0].toString() : "?";
    }

    private long ggufCase(GgufMutator.Mutant m) {
        Path name = Path.of(m.seed());
        GgufFile f = GgufFile.parse(name, MemorySegment.ofArray(m.bytes()));
        if (f.tensors().isEmpty()) {
            // a vocabulary-only file: the tokenizer, as `ggufc tokenize` runs it
            try (f) {
                var tok = ggufc.tokenizer.Tokenizer.fromGguf(f);
                int[] ids = tok.encode("Once upon a time, 42 <s> héllo 🦙\n", true, true);
                tok.decode(ids);
                return 0;
            } catch (RuntimeException e) {
                throw LoadedModel.namingFile(name, e);
            }
        }
        // the compile path: lift, the vector target's passes, lowering (the artifact would be javac'd next)
        try {
            Graph g = ggufc.lift.Lifters.lift(f, new LlamaLifter.Options(opt.ctx(), false, DType.F32));
            g = new PassManager(Pipelines.defaultFor(Targets.VECTOR.name()), PassManager.Options.defaults()).run(g, new PassContext(Targets.VECTOR, new GgufWeights(f))).graph();
            Lowering.lower(g, 8);
        } catch (RuntimeException e) {
            f.close();
            throw LoadedModel.namingFile(name, e);
        }
        // the run path: tokenizer, lift, lowering, the prompt step and one decode step on the vector backend
        try (LoadedModel lm = LoadedModel.open(f, opt.ctx(), DType.F32, false, LoadedModel.Backend.VECTOR, 1, "default")) {
            lm.generator().generate("Once upon a time", 2, SamplerOptions.greedy(), true, s -> {});
            return lm.kvCacheBytes();
        }
    }

    private long artifactCase(Path dir) {
        try (LoadedModel lm = LoadedModel.openArtifact(dir, null, opt.ctx(), 1)) {
            lm.generator().generate("Once upon a time", 2, SamplerOptions.greedy(), true, s -> {});
            return lm.kvCacheBytes();
        }
    }

    /** Gives each large allocation to the case whose window holds it. */
    private void attribute(List<long[]> allocations, List<String> classes) {
        for (long[] a : allocations) {
            int i = Arrays.binarySearch(caseStart, a[0]);
            if (i < 0) i = -i - 2;
            if (i < 0 || i >= caseStart.length || a[0] > caseEnd[i]) continue;
            long bound = caseBound[i];
            if (a[1] > report.largestAllocation) {
                report.largestAllocation = a[1];
                report.largestAllocationBound = bound;
                report.largestAllocationCase = "case " + i + ": " + caseName[i];
            }
            if (a[1] > bound) {
                report.overBound++;
                if (report.overBoundCases.size() < 10) {
                    report.overBoundCases.add(KvBudget.bytes(a[1]) + " " + classes.get((int) a[2]) + " in case " + i + ": " + caseName[i] + " (bound " + KvBudget.bytes(bound) + ")");
                }
            }
        }
    }

    /** Stops the worker thread. */
    @Override
    public void close() { worker.shutdownNow(); }

    /** The report as printed by {@code ggufc fuzz}. */
    public static String format(Options opt, Report r) {
        StringBuilder sb = new StringBuilder();
        int total = opt.cases() + opt.artifactCases();
        sb.append(String.format(Locale.ROOT, "ggufc fuzz: %,d cases (%,d mutated GGUF files from %s; %,d tampered artifacts), seed %d, time limit %d ms per case%n",
                total, opt.cases(), String.join(", ", opt.seeds().stream().map(p -> p.getFileName().toString()).toList()), opt.artifactCases(), opt.seed(), opt.timeoutMillis()));
        sb.append(String.format(Locale.ROOT, "%-24s %10s %10s%n", "outcome", "GGUF", "artifact"));
        for (Outcome o : Outcome.values()) {
            String label = switch (o) {
                case RAN -> "ran";
                case REFUSED -> "refused cleanly";
                case UNCLEAR -> "unclear refusal";
                case CRASH -> "crash";
                case HANG -> "hang (> " + opt.timeoutMillis() + " ms)";
            };
            sb.append(String.format(Locale.ROOT, "%-24s %,10d %,10d%n", label, r.gguf.getOrDefault(o, 0), r.artifacts.getOrDefault(o, 0)));
        }
        sb.append(String.format(Locale.ROOT, "largest single allocation: %s (%s; 2 x input size + KV cache of that case: %s)%n",
                KvBudget.bytes(r.largestAllocation), r.largestAllocationCase, KvBudget.bytes(r.largestAllocationBound)));
        sb.append(String.format(Locale.ROOT, "allocations larger than 2 x their case's input size + KV cache: %,d%n", r.overBound));
        r.overBoundCases.forEach(c -> sb.append("  ").append(c).append('\n'));
        sb.append(String.format(Locale.ROOT, "most heap allocated by one case (all objects, garbage included): %s (%s)%n", KvBudget.bytes(r.maxCaseAllocation), r.maxCaseAllocationCase));
        sb.append(String.format(Locale.ROOT, "time: %.1f s (%.2f ms per case)%n", r.nanos / 1e9, r.nanos / 1e6 / Math.max(1, total)));
        sb.append("most frequent refusals:\n");
        r.refusalKinds.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(12)
                .forEach(e -> sb.append(String.format(Locale.ROOT, "  %,8d  %s%n", e.getValue(), e.getKey())));
        for (Finding f : r.findings.subList(0, Math.min(40, r.findings.size()))) {
            sb.append(String.format(Locale.ROOT, "%s case %d: %s [%s]: %s%n", f.outcome().name().toLowerCase(Locale.ROOT), f.index(), f.seed(), f.mutation(), f.problem()));
        }
        if (r.findings.size() > 40) sb.append("... ").append(r.findings.size() - 40).append(" more findings\n");
        return sb.toString();
    }
}
