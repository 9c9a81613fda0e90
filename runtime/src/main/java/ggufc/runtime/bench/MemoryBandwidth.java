package ggufc.runtime.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicLong;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A streaming-read probe of the memory read bandwidth, for the decode roofline: threads sum
 * disjoint contiguous slices of an off-heap buffer much larger than the last-level cache with the
 * widest byte vectors, four independent loads per iteration; best of several passes, in GB/s (10^9).
 */
public final class MemoryBandwidth {
    private MemoryBandwidth() {}

    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_PREFERRED;
    /** Bytes per loop iteration. */
    private static final int STEP = 4 * B.vectorByteSize();

    /** Best GB/s over {@code passes} reads of a {@code bytes} buffer by {@code threads} threads. */
    public static double measure(long bytes, int threads, int passes) {
        long per = bytes / threads / STEP * STEP;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buf = arena.allocate(per * threads, 4096);
            for (long o = 0; o < buf.byteSize(); o += 4096) buf.set(ValueLayout.JAVA_BYTE, o, (byte) (o >>> 12)); // commit every page
            AtomicLong sink = new AtomicLong();
            double best = 0;
            for (int p = 0; p < passes + 1; p++) { // the first pass warms the JIT
                Thread[] ts = new Thread[threads];
                long t0 = System.nanoTime();
                for (int t = 0; t < threads; t++) {
                    long lo = per * t;
                    ts[t] = Thread.ofPlatform().start(() -> sink.addAndGet(sum(buf, lo, lo + per)));
                }
                for (Thread t : ts) {
                    try {
                        t.join();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(e);
                    }
                }
                double gbs = per * threads / ((System.nanoTime() - t0) / 1e9) / 1e9;
                if (p > 0) best = Math.max(best, gbs);
            }
            return best;
        }
    }

    private static long sum(MemorySegment s, long lo, long hi) {
        ByteVector a0 = ByteVector.zero(B), a1 = a0, a2 = a0, a3 = a0;
        int w = B.vectorByteSize();
        for (long o = lo; o < hi; o += STEP) {
            a0 = a0.add(ByteVector.fromMemorySegment(B, s, o, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(ByteVector.fromMemorySegment(B, s, o + w, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(ByteVector.fromMemorySegment(B, s, o + 2L * w, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(ByteVector.fromMemorySegment(B, s, o + 3L * w, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).add(a2).add(a3).reduceLanesToLong(VectorOperators.ADD);
    }
}
