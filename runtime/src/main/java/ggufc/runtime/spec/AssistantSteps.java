package ggufc.runtime.spec;

import ggufc.codegen.vector.ModelBinding;
import ggufc.codegen.vector.plan.Plan;
import ggufc.codegen.vector.plan.PlanExecutor;
import ggufc.ir.interp.Interpreter;
import ggufc.ir.interp.Value;
import ggufc.lift.Gemma4AssistantLifter;
import ggufc.lift.LlamaLifter;
import java.util.Arrays;
import java.util.Map;

/**
 * The assistant's draft step ({@link Gemma4AssistantLifter}) on the two CPU backends, reading the target's
 * caches: one token at position {@code pos}, run with context length {@code pos} (keys below it).
 */
public final class AssistantSteps {
    private AssistantSteps() {}

    /** On the vector kernels: the lowered draft graph, its weights in {@code binding} (owned), the caches the target plan's. */
    public static AssistantDrafter.Step vector(Plan plan, ModelBinding binding, PlanExecutor target) {
        int logits = plan.outputIndex(LlamaLifter.LOGITS), next = plan.outputIndex(Gemma4AssistantLifter.HIDDEN_NEXT);
        return vector(new PlanExecutor(plan, binding, target), plan.inputs().size(), plan.inputs().indexOf(LlamaLifter.TOKENS), plan.inputs().indexOf(LlamaLifter.POSITIONS),
                plan.inputs().indexOf(Gemma4AssistantLifter.HIDDEN_IN), logits, next, (int) plan.outputs().get(logits).rowLength(), (int) plan.outputs().get(next).rowLength(),
                binding::close);
    }

    /**
     * On compiled code ({@code pe}: a plan's executor or an artifact's generated class), given where its inputs (of
     * {@code inputCount}) and outputs are; {@code onClose} frees what the step owns.
     */
    public static AssistantDrafter.Step vector(ggufc.codegen.vector.CompiledModel pe, int inputCount, int tokens, int pos, int hidden, int logits, int next, int vocab, int width,
                                               Runnable onClose) {
        return new AssistantDrafter.Step() {
            private final int[][] inputs = new int[inputCount][];

            @Override
            public AssistantDrafter.Out run(int token, float[] h, int p) {
                int[] bits = new int[h.length];
                for (int i = 0; i < bits.length; i++) bits[i] = Float.floatToRawIntBits(h[i]);
                inputs[tokens] = new int[] {token};
                inputs[pos] = new int[] {p};
                inputs[hidden] = bits;
                pe.step(1, p, inputs);
                return new AssistantDrafter.Out(Arrays.copyOf(pe.output(logits), vocab), Arrays.copyOf(pe.output(next), width));
            }

            @Override
            public void close() { onClose.run(); }
        };
    }

    /** On the interpreter: {@code draft} sharing the target interpreter's states (an {@link Interpreter#sharingStates} of it). */
    public static AssistantDrafter.Step interpreter(Interpreter draft) {
        return (token, h, p) -> {
            Map<String, Value> out = draft.run(Map.of(LlamaLifter.TOKENS, Value.ofI32(new long[] {1}, new int[] {token}),
                    LlamaLifter.POSITIONS, Value.ofI32(new long[] {1}, new int[] {p}),
                    Gemma4AssistantLifter.HIDDEN_IN, Value.ofF32(new long[] {1, h.length}, h.clone())), Map.of("T", 1L, "L", (long) p));
            return new AssistantDrafter.Out(out.get(LlamaLifter.LOGITS).f32().clone(), out.get(Gemma4AssistantLifter.HIDDEN_NEXT).f32().clone());
        };
    }
}
