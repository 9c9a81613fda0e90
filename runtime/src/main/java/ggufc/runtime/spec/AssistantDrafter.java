package ggufc.runtime.spec;

import ggufc.runtime.Sampler;
import ggufc.runtime.StepExecutor;

/**
 * Drafting with a Gemma 4 assistant ({@code --spec-type draft-mtp -md FILE}), as llama.cpp's draft-mtp loop
 * (common/speculative.cpp) runs one: the first draft step reads the last confirmed token and the target's
 * hidden state at the row that chose it; each further step reads the previous draft token and the hidden
 * state the previous step gave. Every step is at the last confirmed token's position {@code pos} over the
 * target's caches below it (the assistant writes no cache; llama.cpp's shared-KV drafter keeps one position),
 * so a step's context length is {@code pos}. The draft token is the largest logit; with {@code pMin > 0}
 * drafting stops when its probability among the 10 largest logits (llama.cpp's top-k 10 draft sampler)
 * is below {@code pMin}.
 */
public final class AssistantDrafter implements Drafter {
    /** One draft step: logits and the hidden state the next step reads. */
    public record Out(float[] logits, float[] hidden) {}

    /** Runs the assistant's draft step on token {@code token} and hidden state {@code hidden} at position {@code pos}. */
    public interface Step extends AutoCloseable {
        Out run(int token, float[] hidden, int pos);

        @Override
        default void close() {}
    }

    /** llama.cpp's draft sampler keeps the 10 largest logits. */
    static final int TOP_K = 10;

    private final StepExecutor target;
    private final Step step;
    private final double pMin;
    /** The target's hidden state the next draft starts from. */
    private float[] pending;

    public AssistantDrafter(StepExecutor target, Step step, double pMin) {
        this.target = target;
        this.step = step;
        this.pMin = pMin;
    }

    @Override
    public void targetStepped(int keptRow) { pending = target.hiddenRow(keptRow); }

    @Override
    public int[] draft(int[] history, int pos, int max) {
        // a one-token prompt runs no target step before the first verify: there is no hidden state, and no key to read
        if (pending == null || pos < 1) return new int[0];
        int[] out = new int[Math.max(0, max)];
        int n = 0, tok = history[history.length - 1];
        float[] h = pending;
        while (n < max) {
            Out o = step.run(tok, h, pos);
            int d = Sampler.argmax(o.logits());
            if (pMin > 0 && topKProbability(o.logits(), d) < pMin) break;
            out[n++] = d;
            tok = d;
            h = o.hidden();
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** The softmax probability of the largest logit {@code best} among the {@link #TOP_K} largest. */
    static double topKProbability(float[] logits, int best) {
        float[] top = new float[Math.min(TOP_K, logits.length)];
        java.util.Arrays.fill(top, Float.NEGATIVE_INFINITY);
        for (float l : logits) {
            if (l <= top[top.length - 1]) continue;
            int i = top.length - 1;
            while (i > 0 && top[i - 1] < l) {
                top[i] = top[i - 1];
                i--;
            }
            top[i] = l;
        }
        double m = logits[best], sum = 0;
        for (float l : top) sum += Math.exp(l - m);
        return 1 / sum;
    }
}
