package ggufc.codegen.vector;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * Zeroed off-heap memory that costs nothing until it is written: on Linux a private anonymous
 * mapping ({@code mmap(MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE)}), whose pages the kernel
 * supplies, zeroed, on first touch. A KV cache sized for a long context then takes resident memory
 * only for the positions used, where {@link Arena#allocate} would zero (touch) all of it up front.
 * Elsewhere, or if the mapping fails, it falls back to {@link Arena#allocate}.
 */
public final class ReservedMemory {
    private ReservedMemory() {}

    // Linux values (the same on x86-64 and AArch64)
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS_NORESERVE = 0x02 | 0x20 | 0x4000;
    private static final int MADV_DONTNEED = 4;

    private static final MethodHandle MMAP, MUNMAP, MADVISE;

    static {
        MethodHandle mmap = null, munmap = null, madvise = null;
        if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
                munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
                madvise = linker.downcallHandle(libc.find("madvise").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            } catch (RuntimeException | Error e) {
                // no native access (or no libc symbols): Arena.allocate below
                mmap = munmap = madvise = null;
            }
        }
        MMAP = mmap;
        MUNMAP = munmap;
        MADVISE = madvise;
    }

    /** {@code bytes} zeroed bytes, page aligned when mapped (at least 64-byte aligned), freed when {@code arena} closes. */
    public static MemorySegment allocate(Arena arena, long bytes) {
        if (MMAP != null && bytes > 0) {
            try {
                MemorySegment p = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, bytes, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS_NORESERVE, -1, 0L);
                if (p.address() != -1L) {
                    return p.reinterpret(bytes, arena, s -> unmap(s.address(), bytes));
                }
            } catch (Throwable t) {
                // fall through to the arena
            }
        }
        return arena.allocate(bytes, 64);
    }

    /** Zeroes {@code s}: a mapping made by {@link #allocate} gives its pages back (zero again on next touch). */
    public static void zero(MemorySegment s) {
        if (MADVISE != null && s.address() % 4096 == 0 && s.byteSize() % 4096 == 0) {
            try {
                if ((int) MADVISE.invokeExact(s, s.byteSize(), MADV_DONTNEED) == 0) return;
            } catch (Throwable t) {
                // fall through
            }
        }
        s.fill((byte) 0);
    }

    private static void unmap(long address, long bytes) {
        try {
            int rc = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(address), bytes);
            assert rc == 0;
        } catch (Throwable t) {
            throw new IllegalStateException("munmap failed", t);
        }
    }
}
