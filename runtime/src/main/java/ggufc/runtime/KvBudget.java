package ggufc.runtime;

import ggufc.gguf.GgufException;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.ir.Node;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How large the KV cache is, decided before anything is allocated. The context defaults as in
 * llama.cpp ({@code -c}): {@value #DEFAULT_CTX} tokens, or the model's training context when that
 * is smaller, because a model's training context (131,072 tokens for Llama 3.2, more for Gemma 4
 * and Qwen) would size a cache of many gigabytes. A context whose caches do not fit the memory this
 * process may use is refused in one line that gives the sizes and the flag to change.
 */
public final class KvBudget {
    private KvBudget() {}

    /** llama.cpp's default context size. */
    public static final int DEFAULT_CTX = 4096;

    /** The context to use: {@code requested}, or for 0 the default ({@value #DEFAULT_CTX} or the training context when smaller). */
    public static int context(int requested, int ctxTrain) {
        if (requested < 0) throw new IllegalArgumentException("--ctx must be >= 0 (0: the default), got " + requested);
        return requested > 0 ? requested : Math.min(DEFAULT_CTX, ctxTrain);
    }

    /** KV bytes per cached position: each state's elements per row of its first (position) dimension, at its dtype. */
    public static long bytesPerToken(Graph g) { return bytesPerToken(g, null); }

    /** As above with every state held as {@code as} (the interpreter keeps all caches as f32), or at its own dtype when null. */
    public static long bytesPerToken(Graph g, DType as) {
        long n = 0;
        for (Node s : g.states()) {
            long rows = s.shape().dim(0).size();
            n += (as != null ? as : s.dtype()).bytesFor(s.shape().staticElements() / Math.max(1, rows));
        }
        return n;
    }

    /** Where the caches live, and so which memory bounds them. */
    public enum Memory {
        /** off-heap (the vector backend, artifacts): the machine's (or the container's) available memory */
        NATIVE,
        /** the interpreter's f32 arrays on the Java heap: the heap's free room, and at most 2^31 - 1 elements per cache */
        HEAP
    }

    /**
     * Refuses {@code ctx} positions of {@code bytesPerToken} each when they do not fit {@code memory}:
     * a {@link GgufException} naming {@code model}, the sizes and the flag to change.
     */
    public static void check(Path model, int ctx, long bytesPerToken, Memory memory) {
        boolean heap = memory == Memory.HEAP;
        check(model, ctx, bytesPerToken, heap ? "left on the Java heap" : "available", heap ? heapRoom() : nativeRoom());
    }

    /** As {@link #check(Path, int, long, Memory)} against {@code room} bytes of memory, {@code where} saying whose ("on opencl:0"). */
    public static void check(Path model, int ctx, long bytesPerToken, String where, long room) {
        long need = multiplySaturated(ctx, bytesPerToken);
        if (need > room) {
            throw new GgufException(model, String.format(Locale.ROOT,
                    "a %,d-token context needs %s of KV cache (%s per token), more than the %s of memory %s; lower --ctx (-c)",
                    ctx, bytes(need), bytes(bytesPerToken), bytes(room), where));
        }
    }

    /** The caches' bytes in the load line, e.g. {@code 10.0 MiB}. */
    public static String bytes(long n) {
        if (n < 1024) return n + " B";
        double v = n;
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    private static long multiplySaturated(long a, long b) {
        long hi = Math.multiplyHigh(a, b), lo = a * b;
        return hi != 0 || lo < 0 ? Long.MAX_VALUE : lo;
    }

    /** Free room on the Java heap now (its maximum less what is in use). */
    static long heapRoom() {
        Runtime rt = Runtime.getRuntime();
        return rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    }

    /**
     * Memory the process may still take off-heap: Linux's MemAvailable, bounded by a cgroup v2 (or
     * v1) limit less its usage; elsewhere the JVM's view of free physical memory.
     */
    static long nativeRoom() {
        long room = Long.MAX_VALUE;
        long available = meminfo("MemAvailable:");
        if (available > 0) room = available;
        long limit = number(Path.of("/sys/fs/cgroup/memory.max")), usage = number(Path.of("/sys/fs/cgroup/memory.current"));
        if (limit <= 0) {
            limit = number(Path.of("/sys/fs/cgroup/memory/memory.limit_in_bytes"));
            usage = number(Path.of("/sys/fs/cgroup/memory/memory.usage_in_bytes"));
        }
        if (limit > 0 && limit < (1L << 60) && usage >= 0) room = Math.min(room, limit - usage);
        if (room == Long.MAX_VALUE) {
            var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            if (os instanceof com.sun.management.OperatingSystemMXBean sun) room = sun.getFreeMemorySize();
        }
        return Math.max(0, room);
    }

    /** A {@code /proc/meminfo} line in bytes, or -1. */
    private static long meminfo(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith(key)) {
                    String[] f = line.substring(key.length()).trim().split("\\s+");
                    return Long.parseLong(f[0]) * (f.length > 1 && f[1].equalsIgnoreCase("kB") ? 1024 : 1);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or unreadable: no bound from here
        }
        return -1;
    }

    /** A file holding one number (cgroup), or -1 ("max", absent, unreadable). */
    private static long number(Path p) {
        try {
            return Long.parseLong(Files.readString(p).trim());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
