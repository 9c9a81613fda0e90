package ggufc.codegen.vector.plan;

import ggufc.codegen.vector.CompiledModel;
import ggufc.codegen.vector.ModelBinding;
import java.lang.foreign.MemorySegment;

/**
 * Runs a {@link Plan} by walking its steps: the same kernels as the generated class, without a
 * Java compiler in the loop (for {@code ggufc run --model} and for checking the lowering on its own).
 */
public final class PlanExecutor implements CompiledModel {
    private final Plan plan;
    private final ModelBinding binding;
    private final Frame frame;

    public PlanExecutor(Plan plan, ModelBinding binding) {
        this(plan, binding, null);
    }

    /**
     * A plan whose KV caches are {@code shared}'s, matched by name (a draft step that writes the first
     * layers' caches of its target); {@code binding} gives the weights. Null: caches of its own.
     */
    public PlanExecutor(Plan plan, ModelBinding binding, PlanExecutor shared) { this(plan, binding, shared, null); }

    /**
     * As above; for a placed plan (split over devices), {@code devicePools} gives each CPU sub-device its worker pool,
     * and each device then runs its steps on a thread of its own ({@link MultiDevice}). Null or one pool: in order.
     */
    public PlanExecutor(Plan plan, ModelBinding binding, PlanExecutor shared, ggufc.codegen.vector.kernels.WorkerPool[] devicePools) {
        this.plan = plan;
        this.binding = binding;
        float[][] slots = new float[plan.slots().size()][];
        for (int i = 0; i < slots.length; i++) {
            Plan.Slot s = plan.slots().get(i);
            slots[i] = s.constant() != null ? s.constant().clone() : new float[(int) s.capacity(plan.maxTokens())];
        }
        MemorySegment[] weights = new MemorySegment[plan.weights().size()];
        for (int i = 0; i < weights.length; i++) {
            Plan.Weight w = plan.weights().get(i);
            weights[i] = w.constant() != null ? MemorySegment.ofArray(w.constant())
                    : w.decodedF32() ? binding.weightF32(w.name(), w.dtype(), w.shape()) : binding.weight(w.name(), w.dtype(), w.shape());
        }
        float[][] packed = new float[plan.packed().size()][];
        for (int i = 0; i < packed.length; i++) {
            Plan.PackedWeight p = plan.packed().get(i);
            packed[i] = binding.packed(p.name(), p.dtype(), p.N(), p.K());
        }
        MemorySegment[] caches = new MemorySegment[plan.caches().size()];
        for (int i = 0; i < caches.length; i++) {
            Plan.Cache c = plan.caches().get(i);
            caches[i] = shared == null ? binding.cache(c.name(), c.dtype(), c.rowLen()) : shared.cacheNamed(c);
        }
        this.frame = new Frame(slots, weights, packed, caches, binding.capacity(), binding.pool());
        boolean placed = plan.steps().stream().anyMatch(st -> st instanceof Step.OnDevice);
        this.devices = placed && devicePools != null && devicePools.length > 1 ? new MultiDevice(plan.steps(), MultiDevice.frames(frame, devicePools),
                plan.outputs().stream().noneMatch(o -> o.slot() >= 0 && o.size().perToken())) : null;
    }

    private final MultiDevice devices;


    private MemorySegment cacheNamed(Plan.Cache want) {
        for (int i = 0; i < plan.caches().size(); i++) {
            Plan.Cache c = plan.caches().get(i);
            if (c.name().equals(want.name())) {
                if (!c.equals(want)) throw new IllegalArgumentException("cache " + want.name() + " is " + c + " in the target, " + want + " in the draft");
                return frame.caches[i];
            }
        }
        throw new IllegalArgumentException("the target has no cache named " + want.name());
    }

    @Override
    public void step(int T, int L, int[][] inputs) {
        if (T < 1 || T > plan.maxTokens()) throw new IllegalArgumentException("a step takes 1.." + plan.maxTokens() + " tokens, got " + T);
        frame.T = T;
        frame.L = L;
        frame.inputs = inputs;
        if (devices != null) {
            devices.run(T, L, inputs);
            return;
        }
        for (Step s : plan.steps()) s.exec(frame);
    }

    @Override
    public float[] output(int i) { return frame.slots[plan.outputs().get(i).slot()]; }

    @Override
    public int maxTokens() { return plan.maxTokens(); }

    @Override
    public void reset() { binding.resetCaches(); }

    /** Stops the device threads of a multi-device run. */
    @Override
    public void close() { if (devices != null) devices.close(); }
}
