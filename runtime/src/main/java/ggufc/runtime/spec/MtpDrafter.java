package ggufc.runtime.spec;

import ggufc.runtime.Sampler;
import ggufc.runtime.StepExecutor;

/**
 * Drafting with the MTP (nextn) block stored in the target's own GGUF ({@code --spec-type draft-mtp} without
 * {@code -md}; hy_v3), as llama.cpp's draft-mtp loop (common/speculative.cpp) runs a single MTP head with a KV cache
 * of its own.
 *
 * <p>The MTP block's cache row at position p is made from the token at p and the target's hidden state at p - 1
 * (zeros before the first token). After every target step the confirmed tokens of that step (the prompt's; the
 * verified token and the drafts kept) are run through the MTP step to fill their rows, each paired with the hidden
 * state of the row before it: the first with the one carried from the previous step, and the hidden state of the
 * last confirmed row is carried to the next. llama.cpp runs every row of the verify batch and then drops the
 * rejected drafts' rows ({@code llama_memory_seq_rm}); running only the kept rows writes the same values, since a
 * row depends on the rows before it alone. Rows past the kept ones (the draft's own) are overwritten before
 * anything reads them: each step reads the rows below its positions and the ones it writes.
 *
 * <p>A draft starts from the last confirmed token at {@code pos} with the carried hidden state; each further step
 * reads the previous draft token at the next position with the hidden state the MTP step gave (post-norm). The
 * draft token is the largest logit; with {@code pMin > 0} drafting stops when its probability among the 10
 * largest logits (llama.cpp's top-k 10 draft sampler) is below {@code pMin}.
 */
public final class MtpDrafter implements Drafter {
    /** Runs the MTP step on {@code tokens} at positions {@code pos ..}, row i paired with {@code hidden[i]}; gives the last row's logits and hidden state. */
    public interface Step extends AutoCloseable {
        AssistantDrafter.Out run(int[] tokens, float[][] hidden, int pos);

        @Override
        default void close() {}
    }

    private final StepExecutor target;
    private final Step step;
    private final double pMin;
    /** The target's hidden state at the row before the last confirmed token (zeros before any step: llama.cpp's start). */
    private float[] carried;

    public MtpDrafter(StepExecutor target, Step step, int width, double pMin) {
        this.target = target;
        this.step = step;
        this.pMin = pMin;
        this.carried = new float[width];
    }

    @Override
    public void targetStepped(int[] tokens, int startPos, int keptRow) {
        int kept = keptRow < 0 ? tokens.length : keptRow + 1;
        float[][] hidden = new float[kept][];
        hidden[0] = carried;
        for (int i = 1; i < kept; i++) hidden[i] = target.hiddenRow(i - 1);
        step.run(java.util.Arrays.copyOf(tokens, kept), hidden, startPos);
        carried = target.hiddenRow(kept - 1);
    }

    @Override
    public int[] draft(int[] history, int pos, int max) {
        int[] out = new int[Math.max(0, max)];
        int n = 0, tok = history[history.length - 1];
        float[] h = carried;
        while (n < max) {
            AssistantDrafter.Out o = step.run(new int[] {tok}, new float[][] {h}, pos + n);
            int d = Sampler.argmax(o.logits());
            if (pMin > 0 && AssistantDrafter.topKProbability(o.logits(), d) < pMin) break;
            out[n++] = d;
            tok = d;
            h = o.hidden();
        }
        return java.util.Arrays.copyOf(out, n);
    }
}
