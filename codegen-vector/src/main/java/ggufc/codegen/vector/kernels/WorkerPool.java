package ggufc.codegen.vector.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A persistent pool of worker threads for data-parallel kernels: {@link #run} splits a range of
 * {@code n} items (weight rows, heads) into one contiguous slice per thread, runs slice 0 on the
 * calling thread and the others on the workers, and returns when all are done. Workers spin briefly
 * between kernels (a decode step launches dozens of them, microseconds apart), then park, so an
 * idle pool costs no CPU. With one thread everything runs on the caller.
 */
public final class WorkerPool implements AutoCloseable {
    /** A slice of a parallel kernel: items {@code [lo, hi)} on thread {@code worker}. */
    @FunctionalInterface
    public interface Range {
        void run(int lo, int hi, int worker);
    }

    private static final int SPIN_NANOS = 200_000;

    private final int threads;
    private final Thread[] workers;
    private final boolean[] parkedFlags;
    private volatile int epoch;
    private volatile boolean closed;
    private final AtomicInteger pending = new AtomicInteger();
    private Range task;
    private int taskN, taskGrain;
    private volatile Throwable failure;

    public WorkerPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        this.parkedFlags = new boolean[threads];
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

    /** Runs {@code r} over {@code [0, n)}; slice bounds are multiples of {@code grain} (except the end). */
    public void run(int n, int grain, Range r) {
        if (n <= 0) return;
        if (threads == 1 || n <= grain) {
            r.run(0, n, 0);
            return;
        }
        task = r;
        taskN = n;
        taskGrain = grain;
        pending.set(threads - 1);
        epoch++;
        for (int i = 1; i < threads; i++) {
            if (parked(i)) LockSupport.unpark(workers[i - 1]);
        }
        Throwable mine = null;
        try {
            slice(r, n, grain, 0);
        } catch (Throwable t) {
            mine = t;
        }
        long spins = 0;
        while (pending.get() != 0) {
            if (++spins > 10_000) Thread.yield(); else Thread.onSpinWait();
        }
        task = null;
        Throwable f = mine != null ? mine : failure;
        failure = null;
        if (f instanceof RuntimeException e) throw e;
        if (f instanceof Error e) throw e;
        if (f != null) throw new IllegalStateException(f);
    }

    private void slice(Range r, int n, int grain, int id) {
        int units = (n + grain - 1) / grain;
        int lo = (int) ((long) units * id / threads) * grain, hi = Math.min(n, (int) ((long) units * (id + 1) / threads) * grain);
        if (lo < hi) r.run(lo, hi, id);
    }

    private boolean parked(int i) {
        synchronized (parkedFlags) {
            return parkedFlags[i];
        }
    }

    private void setParked(int i, boolean v) {
        synchronized (parkedFlags) {
            parkedFlags[i] = v;
        }
    }

    private void loop(int id) {
        int seen = 0; // the epoch at construction: a task posted before this thread got here still counts
        while (!closed) {
            long start = System.nanoTime();
            int spins = 0;
            while (epoch == seen && !closed) {
                if ((++spins & 63) == 0 && System.nanoTime() - start > SPIN_NANOS) {
                    setParked(id, true);
                    if (epoch == seen && !closed) LockSupport.park(this);
                    setParked(id, false);
                    start = System.nanoTime();
                } else {
                    Thread.onSpinWait();
                }
            }
            if (closed) return;
            seen = epoch;
            try {
                slice(task, taskN, taskGrain, id);
            } catch (Throwable t) {
                failure = t;
            } finally {
                pending.decrementAndGet();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : workers) LockSupport.unpark(t);
    }
}
