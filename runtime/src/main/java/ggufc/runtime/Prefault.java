package ggufc.runtime;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Touches every page of a memory-mapped model file on a background thread while the model loads, as
 * llama.cpp maps its weights with {@code MAP_POPULATE}: on these machines the first read of each page
 * of a freshly mapped 1 GB file costs about 0.35 s in all, which would otherwise land on the first
 * prompt. The thread reads one byte per page and stops at the end; a page the kernels reach first is
 * simply faulted by them. System property {@code ggufc.prefault=false} turns it off.
 */
public final class Prefault {
    private Prefault() {}

    private static final long PAGE = 4096;

    /** Starts touching {@code file}'s pages on a daemon thread (nothing for files under 64 MiB). */
    public static void start(MemorySegment file) {
        if (!Boolean.parseBoolean(System.getProperty("ggufc.prefault", "true")) || file.byteSize() < (64L << 20)) return;
        Thread t = new Thread(() -> touch(file), "ggufc-prefault");
        t.setDaemon(true);
        t.start();
    }

    /** Where the bytes read go, so the compiler cannot drop the reads as unused. */
    private static volatile long sink;

    static void touch(MemorySegment file) {
        long sum = 0, n = file.byteSize();
        try {
            for (long o = 0; o < n; o += PAGE) sum += file.get(ValueLayout.JAVA_BYTE, o);
        } catch (IllegalStateException e) {
            // the file was closed before the end: nothing left to prepare
        }
        sink = sum;
    }
}
