package ggufc.codegen.vector.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The threads of a split run's CPU sub-devices: {@link #run} runs one piece of work per device at once (device 0 on
 * the calling thread, device d on thread d) and returns when all are done; between rounds the caller runs the
 * collectives. The device threads spin briefly between rounds (a decode step has about two rounds per layer,
 * microseconds apart), then park, so an idle group costs no CPU. Used by the plan executor and by the code
 * generated for split artifacts.
 */
public final class DeviceGroup implements AutoCloseable {
    private static final long SPIN_NANOS = 100_000;

    private final Thread[] threads;
    private final Runnable[] work;
    private final AtomicInteger done = new AtomicInteger();
    private volatile int generation;
    private volatile boolean closed;
    private volatile Throwable failure;

    public DeviceGroup(int devices) {
        if (devices < 1) throw new IllegalArgumentException("a device group needs at least 1 device, got " + devices);
        work = new Runnable[devices];
        threads = new Thread[devices - 1];
        for (int d = 1; d < devices; d++) {
            int dev = d;
            threads[d - 1] = Thread.ofPlatform().daemon().name("ggufc-device-" + d).start(() -> loop(dev));
        }
    }

    public int devices() { return work.length; }

    /** Runs {@code perDevice[d]} on device d (null: nothing) at once and waits for all; a failure is rethrown. */
    public void run(Runnable... perDevice) {
        if (perDevice.length != work.length) throw new IllegalArgumentException(perDevice.length + " pieces of work for " + work.length + " devices");
        int others = 0;
        for (int d = 1; d < perDevice.length; d++) if (perDevice[d] != null) others++;
        if (others == 0) {
            if (perDevice[0] != null) perDevice[0].run();
            return;
        }
        System.arraycopy(perDevice, 0, work, 0, work.length);
        done.set(0);
        generation++;
        for (Thread t : threads) LockSupport.unpark(t);
        try {
            if (perDevice[0] != null) perDevice[0].run();
        } finally {
            long t0 = System.nanoTime();
            while (done.get() < threads.length) {
                if (System.nanoTime() - t0 < SPIN_NANOS) Thread.onSpinWait();
                else LockSupport.parkNanos(20_000);
            }
        }
        Throwable t = failure;
        if (t != null) {
            failure = null;
            if (t instanceof RuntimeException re) throw re;
            if (t instanceof Error e) throw e;
            throw new IllegalStateException(t);
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
                Runnable r = work[d];
                if (r != null) r.run();
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
}
