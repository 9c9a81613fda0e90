package ggufc.codegen.vector.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A persistent pool of worker threads for data-parallel kernels. {@link #run} cuts a range of
 * {@code n} items (weight rows, heads) into chunks of at least {@code grain} items, which the
 * calling thread and the workers claim from a shared counter until none is left; the caller then
 * waits only for chunks still being run by others. So a worker that the OS has not scheduled (the
 * machine is shared) costs nothing: the caller takes its share. A range of at most one grain runs
 * on the caller alone, with no handoff, which is how small kernels stay single-threaded.
 *
 * <p>Workers spin briefly between kernels (a decode step launches dozens of them, microseconds
 * apart), then park, so an idle pool costs no CPU. With one thread everything runs on the caller.
 */
public final class WorkerPool implements AutoCloseable {
    /** A slice of a parallel kernel: items {@code [lo, hi)} on thread {@code worker} (0 = the caller). */
    @FunctionalInterface
    public interface Range {
        void run(int lo, int hi, int worker);
    }

    /** Chunks per thread when a range is split (more chunks balance better, fewer cost fewer claims). */
    private static final int CHUNKS_PER_THREAD = 4;
    private static final long SPIN_NANOS = 200_000;

    /** One parallel kernel: immutable but for its counters, published through {@link #current}. */
    private static final class Job {
        final Range range;
        final int n, chunk, chunks;
        final AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        volatile Throwable failure;

        Job(Range range, int n, int chunk) {
            this.range = range;
            this.n = n;
            this.chunk = chunk;
            this.chunks = (n + chunk - 1) / chunk;
        }

        /** Claims and runs chunks until none is left. */
        void work(int worker) {
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                try {
                    if (failure == null) range.run(c * chunk, Math.min(n, (c + 1) * chunk), worker);
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    done.incrementAndGet();
                }
            }
        }
    }

    private final int threads;
    private final boolean splitAll;
    private final Thread[] workers;
    private final AtomicInteger parked = new AtomicInteger();
    private volatile Job current;
    private volatile boolean closed;

    public WorkerPool(int threads) {
        this(threads, false);
    }

    /**
     * With {@code splitAll}, every range of more than one item is split whatever its grain (for
     * tests, so small shapes exercise the multi-threaded paths; grains are work thresholds only).
     */
    public WorkerPool(int threads, boolean splitAll) {
        if (threads < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
        this.threads = threads;
        this.splitAll = splitAll;
        this.workers = new Thread[threads - 1];
        for (int i = 1; i < threads; i++) {
            int id = i;
            Thread t = new Thread(() -> loop(id), "ggufc-worker-" + i);
            t.setDaemon(true);
            workers[i - 1] = t;
            t.start();
        }
    }

    /** Threads used, the caller included. */
    public int threads() { return threads; }

    /**
     * Runs {@code r} over {@code [0, n)} in chunks whose bounds are multiples of {@code grain} (except
     * the end); {@code grain} is the least work worth a handoff, kernels must accept any bounds.
     */
    public void run(int n, int grain, Range r) {
        if (n <= 0) return;
        grain = splitAll ? 1 : Math.max(1, grain);
        if (threads == 1 || n <= grain) {
            r.run(0, n, 0);
            return;
        }
        int units = (n + grain - 1) / grain;
        int perChunk = Math.max(1, units / (threads * CHUNKS_PER_THREAD));
        Job job = new Job(r, n, perChunk * grain);
        current = job;
        if (parked.get() > 0) for (Thread w : workers) LockSupport.unpark(w);
        job.work(0);
        for (int spins = 0; job.done.get() < job.chunks; ) {
            if (++spins > 1_000) Thread.yield(); else Thread.onSpinWait();
        }
        Throwable f = job.failure;
        if (f instanceof RuntimeException e) throw e;
        if (f instanceof Error e) throw e;
        if (f != null) throw new IllegalStateException(f);
    }

    private void loop(int id) {
        Job seen = null;
        while (!closed) {
            Job j = current;
            if (j != seen && j != null) {
                seen = j;
                j.work(id);
                continue;
            }
            long start = System.nanoTime();
            int spins = 0;
            while ((j = current) == seen && !closed) {
                if ((++spins & 63) == 0 && System.nanoTime() - start > SPIN_NANOS) {
                    parked.incrementAndGet();
                    if (current == seen && !closed) LockSupport.park(this);
                    parked.decrementAndGet();
                    start = System.nanoTime();
                } else {
                    Thread.onSpinWait();
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : workers) LockSupport.unpark(t);
    }
}
