package ggufc.codegen.vector.plan;

import ggufc.codegen.vector.kernels.WorkerPool;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs a placed plan over CPU sub-devices at once: each device has its own thread and worker pool (its share of the
 * threads) and runs its own steps; the devices meet at each collective (all_reduce, all_gather, transfer), which the
 * calling thread runs once all have arrived, reading the others' slots in place (one process: no copy is needed to
 * read another device's memory). Steps between two collectives form a phase; a device's slots are reused only by its
 * own values ({@link Lowering}), so the devices never write what another is reading.
 */
final class MultiDevice implements AutoCloseable {
    private static final long SPIN_NANOS = 100_000;

    /** phase → device → steps; collectives[phase]: run after the phase by the caller. */
    private final Step[][][] phases;
    private final Step[][] collectives;
    private final Frame[] frames;
    private final Thread[] threads;
    private final AtomicInteger done = new AtomicInteger();
    private volatile int generation;
    private volatile int phase;
    private volatile boolean closed;
    private volatile Throwable failure;

    MultiDevice(List<Step> steps, Frame[] frames) {
        int n = frames.length;
        this.frames = frames;
        List<List<List<Step>>> ph = new ArrayList<>();
        List<List<Step>> coll = new ArrayList<>();
        boolean open = false;
        for (Step s : steps) {
            Step.OnDevice od = s instanceof Step.OnDevice o ? o : new Step.OnDevice(0, s);
            if (od.collective()) {
                if (ph.isEmpty()) { ph.add(empty(n)); coll.add(new ArrayList<>()); }
                coll.getLast().add(od.step());
                open = false;
                continue;
            }
            if (!open) { ph.add(empty(n)); coll.add(new ArrayList<>()); open = true; }
            ph.getLast().get(Math.min(od.device(), n - 1)).add(od.step());
        }
        phases = new Step[ph.size()][][];
        collectives = new Step[ph.size()][];
        for (int p = 0; p < ph.size(); p++) {
            phases[p] = new Step[n][];
            for (int d = 0; d < n; d++) phases[p][d] = ph.get(p).get(d).toArray(Step[]::new);
            collectives[p] = coll.get(p).toArray(Step[]::new);
        }
        threads = new Thread[n - 1];
        for (int d = 1; d < n; d++) {
            int dev = d;
            threads[d - 1] = Thread.ofPlatform().daemon().name("ggufc-device-" + d).start(() -> loop(dev));
        }
    }

    private static List<List<Step>> empty(int n) {
        List<List<Step>> r = new ArrayList<>();
        for (int d = 0; d < n; d++) r.add(new ArrayList<>());
        return r;
    }

    int phases() { return phases.length; }

    void run(int T, int L, int[][] inputs) {
        for (Frame f : frames) {
            f.T = T;
            f.L = L;
            f.inputs = inputs;
        }
        for (int p = 0; p < phases.length; p++) {
            Step[][] per = phases[p];
            int others = 0;
            for (int d = 1; d < per.length; d++) if (per[d].length > 0) others++;
            if (others > 0) {
                done.set(0);
                phase = p;
                generation++;
                for (Thread t : threads) LockSupport.unpark(t);
            }
            for (Step s : per[0]) s.exec(frames[0]);
            if (others > 0) {
                long t0 = System.nanoTime();
                while (done.get() < threads.length) {
                    if (System.nanoTime() - t0 < SPIN_NANOS) Thread.onSpinWait();
                    else LockSupport.parkNanos(20_000);
                }
                Throwable t = failure;
                if (t != null) {
                    failure = null;
                    if (t instanceof RuntimeException re) throw re;
                    if (t instanceof Error e) throw e;
                    throw new IllegalStateException(t);
                }
            }
            for (Step s : collectives[p]) s.exec(frames[0]);
        }
    }

    private void loop(int d) {
        int seen = 0;
        while (!closed) {
            long t0 = System.nanoTime();
            while (generation == seen && !closed) {
                if (System.nanoTime() - t0 < SPIN_NANOS) Thread.onSpinWait();
                else LockSupport.parkNanos(200_000);
            }
            if (closed) return;
            seen = generation;
            try {
                for (Step s : phases[phase][d]) s.exec(frames[d]);
            } catch (Throwable t) {
                failure = t;
            } finally {
                done.incrementAndGet();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : threads) LockSupport.unpark(t);
    }

    /** The frames of {@code n} devices: one set of slots, weights and caches, each device with its own pool. */
    static Frame[] frames(Frame main, WorkerPool[] pools) {
        Frame[] r = new Frame[pools.length];
        for (int d = 0; d < pools.length; d++) r[d] = new Frame(main.slots, main.weights, main.packed, main.caches, main.capacity, pools[d]);
        return r;
    }
}
