package ggufc.codegen.vector.plan;

import ggufc.codegen.vector.kernels.WorkerPool;
import java.lang.foreign.MemorySegment;

/** The operands a {@link Step} runs on in the {@link PlanExecutor}: slots, weights, caches, inputs and the step's T and L. */
public final class Frame {
    public final float[][] slots;
    public final MemorySegment[] weights;
    public final MemorySegment[] caches;
    public final int capacity;
    public final WorkerPool pool;
    public int[][] inputs;
    public int T, L;

    public Frame(float[][] slots, MemorySegment[] weights, MemorySegment[] caches, int capacity, WorkerPool pool) {
        this.slots = slots;
        this.weights = weights;
        this.caches = caches;
        this.capacity = capacity;
        this.pool = pool;
    }
}
