package ggufc.codegen.vector.plan;

import ggufc.codegen.vector.kernels.WorkerPool;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs a placed plan over CPU sub-devices at once: each device has its own thread and worker pool (its share of the
 * threads) and runs its own steps; the devices meet at each collective (all_reduce, all_gather, transfer), which the
 * calling thread runs once all have arrived, reading the others' slots in place (one process: no copy is needed to
 * read another device's memory). Steps between two collectives form a phase; a device's slots are reused only by its
 * own values ({@link Lowering}), so the devices never write what another is reading.
 *
 * <p><b>Pipelining</b> (layer split): when every phase runs on one device, in device order, and each phase's
 * collectives only move its values to the next one's device, a prompt is cut into micro-batches that flow through
 * the devices as a pipeline: while device 1 runs micro-batch i, device 0 runs i + 1 (llama.cpp's pipeline
 * parallelism). Each device processes the micro-batches in order, as chunked prompt processing does, so the result
 * is the unsplit one; only plans whose logits are the last row's may pipeline (earlier micro-batches' rows of a
 * per-token output would be overwritten).
 */
final class MultiDevice implements AutoCloseable {
    /**
     * Micro-batches per pipeline stage for a prompt (more: smaller fill and drain bubbles, but smaller, slower prompt
     * matmuls). Measured on llama-1b Q8_0, 157-token prompt, 2 sub-devices: 1 per stage 43 tok/s, 2: 38, 4: 33, 8: 27
     * (one device with 2 threads: 46-48); -Dggufc.pipeline.micro=N overrides.
     */
    static final int MICRO_BATCHES_PER_STAGE = Integer.getInteger("ggufc.pipeline.micro", 1);

    /** phase → device → steps; collectives[phase]: run after the phase by the caller. */
    private final Step[][][] phases;
    private final Step[][] collectives;
    private final Frame[] frames;
    private final ggufc.codegen.vector.kernels.DeviceGroup group;
    /** Pipeline stages: phase → its one device; null when the plan cannot pipeline. */
    private final int[] stageDevice;
    /** What each device runs in the current round (null: nothing). */
    private final Runnable[] work;

    MultiDevice(List<Step> steps, Frame[] frames, boolean lastRowOutputs) {
        int n = frames.length;
        this.frames = frames;
        this.work = new Runnable[n];
        Phases cut = Phases.of(steps, n);
        List<List<List<Step>>> ph = cut.steps();
        List<List<Step.OnDevice>> coll = cut.collectives();
        phases = new Step[ph.size()][][];
        collectives = new Step[ph.size()][];
        for (int p = 0; p < ph.size(); p++) {
            phases[p] = new Step[n][];
            for (int d = 0; d < n; d++) phases[p][d] = ph.get(p).get(d).toArray(Step[]::new);
            collectives[p] = coll.get(p).stream().map(Step.OnDevice::step).toArray(Step[]::new);
        }
        this.stageDevice = lastRowOutputs ? stages(ph, coll) : null;
        this.group = new ggufc.codegen.vector.kernels.DeviceGroup(n);
    }

    /** The device of each phase when the plan is a pipeline of single-device phases joined by transfers, else null. */
    private static int[] stages(List<List<List<Step>>> ph, List<List<Step.OnDevice>> coll) {
        int[] dev = new int[ph.size()];
        for (int p = 0; p < ph.size(); p++) {
            dev[p] = -1;
            for (int d = 0; d < ph.get(p).size(); d++) {
                if (ph.get(p).get(d).isEmpty()) continue;
                if (dev[p] >= 0) return null;
                dev[p] = d;
            }
            if (dev[p] < 0 || (p > 0 && dev[p] <= dev[p - 1])) return null;
        }
        for (int p = 0; p < coll.size(); p++) {
            for (Step.OnDevice c : coll.get(p)) {
                // a transfer from this stage to the next only: a later stage's value would be overwritten meanwhile
                if (!(c.step() instanceof Step.Copy) || p + 1 >= dev.length || c.device() != dev[p + 1]) return null;
            }
        }
        return dev.length > 1 ? dev : null;
    }

    void run(int T, int L, int[][] inputs) {
        int stages = stageDevice == null ? 0 : stageDevice.length;
        int micro = stages == 0 ? T : Math.max(1, (T + MICRO_BATCHES_PER_STAGE * stages - 1) / (MICRO_BATCHES_PER_STAGE * stages));
        if (stages > 0 && micro < T) {
            pipeline(T, L, inputs, micro);
            return;
        }
        for (Frame f : frames) {
            f.T = T;
            f.L = L;
            f.inputs = inputs;
        }
        for (int p = 0; p < phases.length; p++) {
            Step[][] per = phases[p];
            Arrays.fill(work, null);
            for (int d = 0; d < per.length; d++) {
                if (per[d].length == 0) continue;
                Step[] ss = per[d];
                Frame f = frames[d];
                work[d] = () -> { for (Step s : ss) s.exec(f); };
            }
            round();
            for (Step s : collectives[p]) s.exec(frames[0]);
        }
    }

    /**
     * The prompt of {@code T} tokens ending at length {@code L} in micro-batches of {@code micro}: at tick k stage s runs
     * micro-batch k - s; after each tick each stage's transfers move its micro-batch on to the next stage.
     */
    private void pipeline(int T, int L, int[][] inputs, int micro) {
        int start = L - T, stages = stageDevice.length, m = (T + micro - 1) / micro;
        for (int k = 0; k < m + stages - 1; k++) {
            Arrays.fill(work, null);
            for (int s = 0; s < stages; s++) {
                int mb = k - s;
                if (mb < 0 || mb >= m) continue;
                Frame f = frames[stageDevice[s]];
                setMicroBatch(f, inputs, start, T, mb, micro);
                Step[] ss = phases[s][stageDevice[s]];
                work[stageDevice[s]] = () -> { for (Step x : ss) x.exec(f); };
            }
            round();
            // later stages first: stage s's transfer writes the slot stage s + 1 received into, which that stage's own
            // outgoing transfer may still have to read (the slot is reused for its output)
            for (int s = stages - 1; s >= 0; s--) {
                int mb = k - s;
                if (mb < 0 || mb >= m) continue;
                Frame f = frames[stageDevice[s]];
                for (Step x : collectives[s]) x.exec(f);
            }
        }
    }

    private static void setMicroBatch(Frame f, int[][] inputs, int start, int T, int mb, int micro) {
        int lo = mb * micro, hi = Math.min(T, lo + micro);
        f.T = hi - lo;
        f.L = start + hi;
        int[][] in = new int[inputs.length][];
        for (int i = 0; i < in.length; i++) in[i] = inputs[i] == null ? null : Arrays.copyOfRange(inputs[i], lo, hi);
        f.inputs = in;
    }

    /** Runs {@link #work} on the devices at once (device 0 on the caller) and waits for all. */
    private void round() { group.run(work); }

    @Override
    public void close() {
        group.close();
    }

    /** The frames of {@code n} devices: one set of slots, weights and caches, each device with its own pool. */
    static Frame[] frames(Frame main, WorkerPool[] pools) {
        Frame[] r = new Frame[pools.length];
        for (int d = 0; d < pools.length; d++) r[d] = new Frame(main.slots, main.weights, main.packed, main.caches, main.capacity, pools[d]);
        return r;
    }
}
