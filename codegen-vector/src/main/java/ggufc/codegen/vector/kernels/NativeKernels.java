package ggufc.codegen.vector.kernels;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import ggufc.ir.DType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The native kernels ({@code ggufc/native/kernels.c}): matmuls of Q8_0, Q4_0 and Q4_K weights times
 * activations quantized as llama.cpp quantizes them (Q8_0, Q8_K), with exact integer block sums
 * by AVX-512 VNNI, which the Vector API cannot express (it has no integer dot product); attention
 * over the f32 KV cache, RMS norm and the SiLU gate. They are machine code from the first call, so a fresh process does not wait
 * for C2 to compile them (Vector API code runs boxed, many times slower, until it has).
 *
 * <p>Built by the machine's C compiler ({@link #build}): {@code ggufc compile} stores the library in
 * the artifact; a {@code --model} run builds it once into {@code ~/.cache/ggufc/native}. Called
 * through the FFM API as critical downcalls (no thread transition; Java arrays are passed in place).
 * Which library runs is fixed for the process at the first matmul ({@link #active}); system property
 * {@code ggufc.kernels}: {@code auto} (the default: native where the CPU and a compiler allow),
 * {@code native} (required: an error if unavailable), {@code vector} (the Vector API kernels only).
 */
public record NativeKernels(Path library, MethodHandle quantQ8_0, MethodHandle quantQ8K, MethodHandle mmQ8_0, MethodHandle mmQ4_0,
                            MethodHandle mmQ4K, MethodHandle gemmQ8_0, MethodHandle gemmQ4_0, MethodHandle gemmQ4K, MethodHandle attentionF32,
                            MethodHandle rmsNorm, MethodHandle siluGate) {

    /** Instruction-set flags (as /proc/cpuinfo names them) the library is compiled for. */
    public static final List<String> CPU_FLAGS = List.of("avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni");

    /** The compiler flags the library is built with (the instruction set above; every rounding written out). */
    public static final List<String> CFLAGS = List.of("-O3", "-mavx2", "-mfma", "-mf16c", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512vnni",
            "-ffp-contract=off", "-fno-math-errno", "-fPIC", "-shared");

    private static final String SOURCE = "/ggufc/native/kernels.c";

    // ---- which library runs --------------------------------------------------------------------------

    private static volatile Path chosen;
    private static volatile String chosenKey;
    private static volatile boolean chosenNone, fixed;

    /**
     * Asks for {@code lib} (an artifact's build of the source whose {@link #key} is {@code key}; null:
     * the Vector API kernels) to run this process's matmuls. Once a matmul has run the choice is
     * fixed: then true only if it is the same (a build of the same source and flags, or none).
     */
    public static boolean use(Path lib, String key) {
        if (fixed) {
            NativeKernels a = Holder.ACTIVE;
            if (lib == null || a == null) return lib == null && a == null;
            return key != null && key.equals(Holder.activeKey);
        }
        chosen = lib;
        chosenKey = key;
        chosenNone = lib == null;
        return true;
    }

    /** The process's native kernels, or null where the Vector API kernels run (see the class comment). */
    public static NativeKernels active() { return Holder.ACTIVE; }

    /** The mode {@code ggufc.kernels} names. */
    public static String mode() {
        String m = System.getProperty("ggufc.kernels", "auto");
        if (!Set.of("auto", "native", "vector").contains(m)) throw new IllegalArgumentException("ggufc.kernels must be auto, native or vector, got " + m);
        return m;
    }

    /** Why no native kernels run in this process (null when they do). */
    public static String whyNot() {
        NativeKernels a = Holder.ACTIVE;
        return a != null ? null : Holder.why;
    }

    private static final class Holder {
        static String why, activeKey;
        static final NativeKernels ACTIVE = choose();

        private static NativeKernels choose() {
            try {
                String mode = mode();
                if (mode.equals("vector")) return none("ggufc.kernels=vector", false);
                if (chosenNone) return none("the artifact was compiled for the Vector API kernels", false);
                String cpu = missingCpuFlags();
                if (cpu != null) return none("this CPU lacks " + cpu, mode.equals("native"));
                try {
                    // an artifact's build, else this version's in the user's cache
                    Path lib = chosen != null ? chosen : cached();
                    activeKey = chosen != null ? chosenKey : sourceKey();
                    return load(lib);
                } catch (IOException | RuntimeException e) {
                    return none(e.getMessage(), mode.equals("native"));
                }
            } finally {
                fixed = true;
            }
        }

        /** No native kernels, for {@code reason}; an error instead where they are {@code required}. */
        private static NativeKernels none(String reason, boolean required) {
            why = reason;
            if (required) throw new IllegalStateException("native kernels: " + reason);
            return null;
        }
    }

    /** Null if this CPU has every flag in {@link #CPU_FLAGS}, else the missing ones. */
    public static String missingCpuFlags() {
        Set<String> have;
        try {
            have = Set.copyOf(List.of(Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("flags"))
                    .findFirst().orElse("flags :").split(":", 2)[1].trim().split("\\s+")));
        } catch (IOException | RuntimeException e) {
            return "a readable /proc/cpuinfo";
        }
        List<String> missing = CPU_FLAGS.stream().filter(f -> !have.contains(f)).toList();
        return missing.isEmpty() ? null : String.join(", ", missing);
    }

    // ---- building ----------------------------------------------------------------------------------

    /** The kernels' C source. */
    public static String source() {
        try (InputStream in = NativeKernels.class.getResourceAsStream(SOURCE)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first C compiler found: {@code $GGUFC_CC}, else clang, clang-19 .. clang-14, gcc, cc on the PATH. */
    public static String compiler() throws IOException {
        String env = System.getenv("GGUFC_CC");
        List<String> names = new ArrayList<>(env == null || env.isBlank() ? List.of() : List.of(env));
        names.addAll(List.of("clang", "clang-19", "clang-18", "clang-17", "clang-16", "clang-15", "clang-14", "gcc", "cc"));
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String n : names) {
            if (n.contains("/")) {
                if (Files.isExecutable(Path.of(n))) return n;
                continue;
            }
            for (String dir : path.split(":")) if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, n))) return Path.of(dir, n).toString();
        }
        throw new IOException("no C compiler (clang or gcc) on the PATH to build the native kernels; set GGUFC_CC");
    }

    /** Compiles {@code source} (the kernels, or a variant of them) into the shared library {@code out}; returns the compiler it used. */
    public static String build(String source, Path out) throws IOException {
        Path parent = out.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        // beside the output, so the finished library is moved into place atomically (same file system)
        Path dir = Files.createTempDirectory(parent, ".ggufc-native");
        try {
            Path c = dir.resolve("kernels.c");
            Files.writeString(c, source);
            Path tmp = dir.resolve("kernels.so");
            List<String> cmd = new ArrayList<>(List.of(compiler()));
            cmd.addAll(CFLAGS);
            cmd.addAll(List.of("-o", "kernels.so", "kernels.c", "-lm"));
            // in the temporary folder, by relative names: no temporary path ends up in the library
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            String log;
            try {
                log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IOException(cmd.getFirst() + " took over 120 s on the native kernels");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while building the native kernels");
            }
            if (p.exitValue() != 0) {
                throw new IOException(cmd.getFirst() + " failed on the native kernels: " + log.lines().findFirst().orElse("exit " + p.exitValue()));
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return cmd.getFirst();
        } finally {
            try (var s = Files.list(dir)) {
                for (Path f : s.toList()) Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        }
    }

    /** What identifies a build of {@code src}: a hash of it and of {@link #CFLAGS}. */
    public static String key(String src) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(src.getBytes(StandardCharsets.UTF_8));
            md.update(String.join(" ", CFLAGS).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final class SourceKey {
        static final String KEY = key(source());
    }

    /** {@link #key} of this version's source (what an artifact records as {@code kernels.source}). */
    public static String sourceKey() { return SourceKey.KEY; }

    /** The library built from this version's source in the user's cache, built there first if absent. */
    static Path cached() throws IOException {
        String key = sourceKey();
        String base = System.getenv("XDG_CACHE_HOME");
        Path dir = (base == null || base.isBlank() ? Path.of(System.getProperty("user.home"), ".cache") : Path.of(base)).resolve("ggufc").resolve("native");
        Path lib = dir.resolve("kernels-" + key + ".so");
        if (!Files.isRegularFile(lib)) build(source(), lib);
        return lib;
    }

    // ---- loading and calling -----------------------------------------------------------------------

    /** Binds the kernels of the library at {@code lib} (for the process, or a test's variant). */
    public static NativeKernels load(Path lib) {
        Linker linker = Linker.nativeLinker();
        SymbolLookup symbols = SymbolLookup.libraryLookup(lib, Arena.global());
        FunctionDescriptor quant = FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        FunctionDescriptor mm = FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS);
        java.util.function.BiFunction<String, FunctionDescriptor, MethodHandle> bind = (name, fd) -> linker.downcallHandle(
                symbols.find(name).orElseThrow(() -> new IllegalStateException(lib + ": no symbol " + name + " (not ggufc's native kernels)")), fd,
                Linker.Option.critical(true));
        return new NativeKernels(lib, bind.apply("ggufc_quant_q8_0", quant), bind.apply("ggufc_quant_q8_k", quant), bind.apply("ggufc_mm_q8_0", mm),
                bind.apply("ggufc_mm_q4_0", mm), bind.apply("ggufc_mm_q4_k", mm), bind.apply("ggufc_gemm_q8_0", mm), bind.apply("ggufc_gemm_q4_0", mm),
                bind.apply("ggufc_gemm_q4_k", mm),
                bind.apply("ggufc_attention_f32", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                        java.lang.foreign.ValueLayout.JAVA_FLOAT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS)),
                bind.apply("ggufc_rms_norm", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_INT, java.lang.foreign.ValueLayout.JAVA_FLOAT, JAVA_INT, ADDRESS)),
                bind.apply("ggufc_silu_gate", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG, ADDRESS)));
    }

    /** Whether these kernels multiply a {@code t} weight of row length K by activations rounded to {@code act}. */
    public boolean handles(DType t, DType act, int K) {
        return switch (t) {
            case Q8_0, Q4_0 -> act == DType.Q8_0 && K % 32 == 0;
            case Q4_K -> act == DType.Q8_K && K % 256 == 0;
            default -> false;
        };
    }

    /**
     * Activations quantized for the kernels: T rows of K levels, a scale per block, and per block, for
     * Q8_0, 18 ints (its lane biases and block biases); for Q8_K its 8 sub-block sums as int16 (4 ints).
     */
    record Quantized(byte[] levels, float[] scales, int[] sums, int K, int blockSize, int sumsPerBlock) {
        MemorySegment levelsOf(int t) { return MemorySegment.ofArray(levels).asSlice((long) t * K); }
        MemorySegment scalesOf(int t) { return MemorySegment.ofArray(scales).asSlice((long) t * (K / blockSize) * 4); }
        MemorySegment sumsOf(int t) { return MemorySegment.ofArray(sums).asSlice((long) t * (K / blockSize) * sumsPerBlock * 4); }
    }

    /** This thread's quantized-activation buffers (they only grow). */
    private static final class Buffers {
        byte[] levels = new byte[0];
        float[] scales = new float[0];
        int[] sums = new int[0];
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /** {@code x[xo + t K ..]} for t below T quantized to {@code act} (Q8_0 or Q8_K), in this thread's buffers, rows shared by the pool. */
    Quantized quantize(WorkerPool pool, DType act, float[] x, int xo, int K, int T) {
        int block = act == DType.Q8_K ? 256 : 32, sumsPerBlock = act == DType.Q8_K ? 4 : 18;
        Buffers b = BUFFERS.get();
        if (b.levels.length < T * K) {
            int cap = Math.max(T * K, b.levels.length * 3 / 2);
            b.levels = new byte[cap];
            b.scales = new float[cap / 16];
            b.sums = new int[cap / 32 * 18 + 16];
        }
        Quantized q = new Quantized(b.levels, b.scales, b.sums, K, block, sumsPerBlock);
        MethodHandle h = act == DType.Q8_K ? quantQ8K : quantQ8_0;
        Range body = (lo, hi) -> {
            try {
                h.invokeExact(MemorySegment.ofArray(x).asSlice((long) (xo + lo * K) * 4), K, hi - lo, q.levelsOf(lo), q.scalesOf(lo), q.sumsOf(lo));
            } catch (Throwable e) {
                throw rethrow(e);
            }
        };
        if (T < 2 || pool == null || pool.threads() == 1) body.run(0, T);
        else pool.run(T, Math.max(1, (1 << 14) / K), (lo, hi, wk) -> body.run(lo, hi));
        return q;
    }

    private interface Range {
        void run(int lo, int hi);
    }

    /**
     * Rows {@code [lo, hi)} of {@code w} ({@code t}, rowBytes apart) times the T quantized tokens:
     * {@code out[oo + s outStride + n]} (+ {@code res[ro + s outStride + n]}) for n in the range.
     * Steps of {@link #GEMM_MIN_TOKENS} or more go through the prompt GEMM (rows in vector lanes, ggml's
     * repacked numerics) unless {@code exact}; shorter ones, and exact ones (speculative verify steps),
     * give every value a one-token step's.
     */
    void rows(DType t, MemorySegment w, long rowBytes, int K, Quantized q, int T, boolean exact, float[] out, int oo, int outStride, float[] res, int ro,
              int lo, int hi) {
        boolean gemm = gemm(T, exact);
        MethodHandle h = switch (t) {
            case Q8_0 -> gemm ? gemmQ8_0 : mmQ8_0;
            case Q4_0 -> gemm ? gemmQ4_0 : mmQ4_0;
            case Q4_K -> gemm ? gemmQ4K : mmQ4K;
            default -> throw new IllegalArgumentException("no native kernel for " + t);
        };
        MemorySegment o = MemorySegment.ofArray(out).asSlice((long) (oo + lo) * 4);
        MemorySegment r = res == null ? MemorySegment.NULL : MemorySegment.ofArray(res).asSlice((long) (ro + lo) * 4);
        try {
            h.invokeExact(w.asSlice(lo * rowBytes), rowBytes, hi - lo, K, q.levelsOf(0), q.scalesOf(0), q.sumsOf(0), T, o, (long) outStride, r);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** {@link MatMul#matmul} on these kernels (the caller checked {@link #handles}). */
    void matmul(WorkerPool pool, DType t, DType act, MemorySegment w, int K, int N, float[] x, int xo, int T, float[] out, int oo, int outStride, float[] res, int ro) {
        matmul(pool, t, act, w, K, N, x, xo, T, MatMul.rowwise(T), out, oo, outStride, res, ro);
    }

    /** As above, {@code exact}: the multi-token values equal one-token steps' (else the prompt GEMM's when T > 1). */
    void matmul(WorkerPool pool, DType t, DType act, MemorySegment w, int K, int N, float[] x, int xo, int T, boolean exact, float[] out, int oo, int outStride,
                float[] res, int ro) {
        long rowBytes = t.bytesFor(K);
        Quantized q = quantize(pool, act, x, xo, K, T);
        pool.run(N, grain(K, T, exact), (lo, hi, wk) -> rows(t, w, rowBytes, K, q, T, exact, out, oo, outStride, res, ro, lo, hi));
    }

    /**
     * Steps of at least this many tokens run the prompt GEMM (unless exact): below it, the one-token
     * kernels in register tiles cost less than repacking the rows (1B-class Q4_0 rows from memory on
     * Zen 5: 2 / 3 / 4 / 6 tokens 12 / 19 / 25 / 37 ms one-token passes against 19 / 21 / 22 / 26 ms).
     */
    static final int GEMM_MIN_TOKENS = 4;

    static boolean gemm(int T, boolean exact) { return T >= GEMM_MIN_TOKENS && !exact; }

    /** Rows per parallel grain: the decode kernels' grain, whole 16-row groups for the GEMM. */
    private static int grain(int K, int T, boolean exact) {
        int g = MatMul.decodeGrain(K);
        return gemm(T, exact) ? (g + 15) & ~15 : g;
    }

    /**
     * {@link MatMul#glu} on these kernels (the caller checked {@link #handles} for both weights): the
     * two products over slices of rows, then the activation over whole token rows, so the values do not
     * depend on how the rows were sliced among threads.
     */
    void glu(WorkerPool pool, DType tg, MemorySegment wg, DType tu, MemorySegment wu, DType act, int K, int N, float[] x, int xo, int T, float[] out, int oo, boolean gelu) {
        glu(pool, tg, wg, tu, wu, act, K, N, x, xo, T, MatMul.rowwise(T), out, oo, gelu);
    }

    void glu(WorkerPool pool, DType tg, MemorySegment wg, DType tu, MemorySegment wu, DType act, int K, int N, float[] x, int xo, int T, boolean exact,
             float[] out, int oo, boolean gelu) {
        long gBytes = tg.bytesFor(K), uBytes = tu.bytesFor(K);
        Quantized q = quantize(pool, act, x, xo, K, T);
        float[] up = Scratch.floats(Scratch.GLU_UP, T * N);
        pool.run(N, grain(2 * K, T, exact), (lo, hi, wk) -> {
            rows(tu, wu, uBytes, K, q, T, exact, up, 0, N, null, 0, lo, hi);
            rows(tg, wg, gBytes, K, q, T, exact, out, oo, N, null, 0, lo, hi);
        });
        pool.run(T, Math.max(1, (1 << 15) / N), (lo, hi, wk) -> {
            for (int s = lo; s < hi; s++) Ops.gatedAct(out, oo + s * N, up, s * N, N, gelu, out, oo + s * N);
        });
    }

    /**
     * {@link Attention#attention} over an f32 cache without soft-capping (the caller checked): units
     * {@code [lo, hi)} of (token, kv head) pairs, Attention.headF32's arithmetic in C.
     */
    void attention(float[] q, int qo, MemorySegment k, MemorySegment v, int[] pos, int L, int H, int Hkv, int Dh, float scale, int window,
                   int lo, int hi, float[] out, int oo) {
        try {
            attentionF32.invokeExact(MemorySegment.ofArray(q).asSlice((long) qo * 4), k, v, MemorySegment.ofArray(pos), L, H, Hkv, Dh, scale, window, lo, hi,
                    MemorySegment.ofArray(out).asSlice((long) oo * 4));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** {@link Ops#rmsNorm} (the same arithmetic as its vector path, bit for bit) on an f32 weight in native memory. */
    void rmsNorm(float[] x, int xo, MemorySegment w, int D, float eps, int rows, float[] out, int oo) {
        try {
            rmsNorm.invokeExact(MemorySegment.ofArray(x).asSlice((long) xo * 4), w, D, eps, rows, MemorySegment.ofArray(out).asSlice((long) oo * 4));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** {@code out[i] = silu(g[i]) * u[i]} with the C library's expf ({@link Ops#silu} with Math.exp: within an ulp or two). */
    void siluGate(float[] g, int go, float[] u, int uo, int n, float[] out, int oo) {
        try {
            siluGate.invokeExact(MemorySegment.ofArray(g).asSlice((long) go * 4), MemorySegment.ofArray(u).asSlice((long) uo * 4), (long) n,
                    MemorySegment.ofArray(out).asSlice((long) oo * 4));
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    private static RuntimeException rethrow(Throwable e) {
        if (e instanceof RuntimeException r) return r;
        if (e instanceof Error err) throw err;
        return new IllegalStateException(e);
    }
}
