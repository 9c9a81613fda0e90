package ggufc.runtime.spec;

import ggufc.runtime.Sampler;
import ggufc.runtime.StepExecutor;

/**
 * Early-exit drafting: the draft step (the target's first k layers, its final norm and LM head;
 * see {@code insert-draft-head}) run one token at a time. It shares the first k layers' KV caches
 * with the target: it writes rows at positions {@code pos ..}, which the verify step, run on the
 * same tokens at the same positions, overwrites before anything reads them.
 */
public final class EarlyExitDrafter implements Drafter {
    private final StepExecutor draft;
    private final double pMin;

    /** @param pMin stop drafting once the draft token's probability (softmax of the draft logits) is below this */
    public EarlyExitDrafter(StepExecutor draft, double pMin) {
        this.draft = draft;
        this.pMin = pMin;
    }

    @Override
    public int[] draft(int[] history, int pos, int max) {
        int[] out = new int[Math.max(0, max)];
        int n = 0, tok = history[history.length - 1];
        while (n < max && pos + n < draft.contextSize()) {
            float[] logits = draft.step(new int[] {tok}, pos + n);
            int d = Sampler.argmax(logits);
            if (pMin > 0 && probability(logits, d) < pMin) break;
            out[n++] = d;
            tok = d;
        }
        return java.util.Arrays.copyOf(out, n);
    }

    static double probability(float[] logits, int i) {
        double m = logits[i], sum = 0;
        for (float l : logits) sum += Math.exp(l - m);
        return 1 / sum;
    }
}
