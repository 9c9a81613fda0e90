package ggufc.runtime.spec;

import ggufc.codegen.vector.ModelBinding;
import ggufc.codegen.vector.plan.Plan;
import ggufc.codegen.vector.plan.PlanExecutor;
import ggufc.ir.interp.Interpreter;
import ggufc.ir.interp.Value;
import ggufc.lift.HyV3Lifter;
import ggufc.lift.LlamaLifter;
import java.util.Arrays;
import java.util.Map;

/**
 * The MTP block's step ({@link HyV3Lifter#liftDraft}) on the two CPU backends: tokens at positions {@code pos ..}
 * with their hidden states, writing the block's own KV cache; context length {@code pos + T}.
 */
public final class MtpSteps {
    private MtpSteps() {}

    /** On the vector kernels: the lowered MTP graph, on the target's {@code binding} (its weights; not owned), with caches of its own. */
    public static MtpDrafter.Step vector(Plan plan, ModelBinding binding) {
        int logits = plan.outputIndex(LlamaLifter.LOGITS), next = plan.outputIndex(HyV3Lifter.HIDDEN_NEXT);
        return vector(new PlanExecutor(plan, binding), plan.inputs().size(), plan.inputs().indexOf(LlamaLifter.TOKENS), plan.inputs().indexOf(LlamaLifter.POSITIONS),
                plan.inputs().indexOf(HyV3Lifter.HIDDEN_IN), logits, next, (int) plan.outputs().get(logits).rowLength(), (int) plan.outputs().get(next).rowLength());
    }

    /**
     * On compiled code ({@code pe}: the plan's executor or an artifact's generated class for the MTP graph), given where
     * its inputs (of {@code inputCount}: token ids, positions, hidden rows) and outputs (logits of {@code vocab}, the next
     * hidden state of {@code width}) are.
     */
    public static MtpDrafter.Step vector(ggufc.codegen.vector.CompiledModel pe, int inputCount, int tokens, int pos, int hidden, int logits, int next, int vocab, int width) {
        int[][] inputs = new int[inputCount][];
        return (toks, h, p) -> {
            // a prompt longer than the plan's tokens runs in chunks: each reads the rows the ones before it wrote
            for (int done = 0; done < toks.length; ) {
                int T = Math.min(pe.maxTokens(), toks.length - done);
                int[] ids = Arrays.copyOfRange(toks, done, done + T), at = new int[T], bits = new int[T * width];
                for (int i = 0; i < T; i++) {
                    at[i] = p + done + i;
                    for (int j = 0; j < width; j++) bits[i * width + j] = Float.floatToRawIntBits(h[done + i][j]);
                }
                inputs[tokens] = ids;
                inputs[pos] = at;
                inputs[hidden] = bits;
                pe.step(T, p + done + T, inputs);
                done += T;
            }
            return new AssistantDrafter.Out(Arrays.copyOf(pe.output(logits), vocab), Arrays.copyOf(pe.output(next), width));
        };
    }

    /** On the interpreter: {@code mtp} beside the target interpreter's states (its cache has a name of its own). */
    public static MtpDrafter.Step interpreter(Interpreter mtp) {
        return (toks, h, p) -> {
            int T = toks.length, width = h[0].length;
            int[] at = new int[T];
            float[] flat = new float[T * width];
            for (int i = 0; i < T; i++) {
                at[i] = p + i;
                System.arraycopy(h[i], 0, flat, i * width, width);
            }
            Map<String, Value> out = mtp.run(Map.of(LlamaLifter.TOKENS, Value.ofI32(new long[] {T}, toks.clone()),
                    LlamaLifter.POSITIONS, Value.ofI32(new long[] {T}, at),
                    HyV3Lifter.HIDDEN_IN, Value.ofF32(new long[] {T, width}, flat)), Map.of("T", (long) T, "L", (long) p + T));
            return new AssistantDrafter.Out(out.get(LlamaLifter.LOGITS).f32().clone(), out.get(HyV3Lifter.HIDDEN_NEXT).f32().clone());
        };
    }
}
