package ggufc.runtime.spec;

import ggufc.runtime.Sampler;
import ggufc.runtime.StepExecutor;
import java.util.ArrayList;
import java.util.List;

/**
 * Chooses the early exit's layer K and draft length D by measurement, as an autotuner does: the acceptance
 * of each K on a calibration text, the cost of each draft step and of each verify step, and then the
 * greedy speculative loop replayed on paper.
 *
 * <p>Greedy speculative decoding accepts a draft exactly when the draft picks the target's own next token
 * from the same prefix. On a calibration text that is the model's own greedy continuation, that is one bit
 * per position ({@link #agreement}): whether the draft after K layers, fed the text up to there, picks the
 * next token of the text. {@link #replay} then runs the loop's bookkeeping ({@code Generator}'s: rounds of
 * at most D drafts, the accepted prefix plus the target's own token, the last round's full draft) over
 * those bits and gives the drafted and accepted counts and target steps a real run makes, without running
 * it. With the measured step costs that predicts the decode speed of every (K, D) against plain decoding.
 *
 * <p>The bits are measured with the draft step writing its own layers' cache rows; in a real run the verify
 * steps write them (the same tokens and positions, the target's kernels), so a near-tie can fall the
 * other way: the replay predicts, the run decides.
 */
public final class EarlyExitTuner {
    private EarlyExitTuner() {}

    /**
     * Bit {@code q} (for positions {@code 0 .. text.length - 2}): the draft step, run on {@code text[0..q]}
     * one token at a time, picks {@code text[q + 1]} at position {@code q}. The draft writes the cache rows of
     * its layers at those positions (shared with its target: run this before a real decode, not during one).
     */
    public static boolean[] agreement(StepExecutor draft, int[] text) {
        if (text.length < 2) throw new IllegalArgumentException("a calibration text needs at least 2 tokens, got " + text.length);
        if (text.length > draft.contextSize()) throw new IllegalArgumentException("the calibration text has " + text.length + " tokens but the context holds " + draft.contextSize());
        boolean[] agree = new boolean[text.length - 1];
        for (int q = 0; q + 1 < text.length; q++) agree[q] = Sampler.argmax(draft.step(new int[] {text[q]}, q)) == text[q + 1];
        return agree;
    }

    /** What a greedy speculative run does: its drafted and accepted drafts, target steps and the draft lengths of its rounds. */
    public record Replay(long drafted, long accepted, int targetSteps, int tokens, List<Integer> roundDrafts) {
        public double acceptance() { return drafted == 0 ? 0 : (double) accepted / drafted; }

        public double tokensPerTargetStep() { return targetSteps == 0 ? 0 : (double) tokens / targetSteps; }

        /**
         * The decode time in one-token target steps: each round's drafts at {@code draftCost} each, and its verify step of
         * {@code drafts + 1} tokens at {@code verifyCost[drafts + 1]} ({@code verifyCost[1] = 1}).
         */
        public double cost(double draftCost, double[] verifyCost) {
            double c = 0;
            for (int d : roundDrafts) c += d * draftCost + verifyCost[d + 1];
            return c;
        }

        /**
         * Predicted decode tokens/s against plain decoding's: plain makes one token per one-token step, this run
         * {@code tokens} in {@link #cost} of them.
         */
        public double speedup(double draftCost, double[] verifyCost) { return tokens / cost(draftCost, verifyCost); }
    }

    /**
     * The greedy loop over {@code agree} (from {@link #agreement} on prompt + the model's continuation):
     * {@code promptLength} prompt tokens, {@code n} generated, at most {@code draftMax} drafts a round, a context
     * of {@code ctx}; EOS is not looked at (the calibration text is a run that ignored it). As {@code Generator}'s
     * loop: the first verify step runs the prompt's last token; a round drafts {@code min(draftMax, room in
     * the context, tokens still wanted - 1)} tokens, or {@code draftMax} in the round that makes the last token;
     * it keeps the drafts up to the first disagreement plus the target's own token. {@code agree} must cover
     * the positions the last round drafts at ({@code promptLength + n + draftMax - 2}).
     */
    public static Replay replay(boolean[] agree, int promptLength, int n, int draftMax, int ctx) {
        if (promptLength < 1 || n < 1 || draftMax < 1) throw new IllegalArgumentException("prompt length, n and draft-max must be >= 1");
        long drafted = 0, accepted = 0;
        int steps = 0, produced = 0, pos = promptLength - 1;
        List<Integer> rounds = new ArrayList<>();
        while (produced < n && pos < ctx) {
            int wanted = n - produced - 1;
            int room = Math.min(Math.min(draftMax, ctx - 1 - pos), wanted > 0 ? wanted : draftMax);
            int a = 0;
            while (a < room) {
                if (pos + a >= agree.length) throw new IllegalArgumentException("the agreement bits end at position " + agree.length + "; the loop drafts at " + (pos + a));
                if (!agree[pos + a]) break;
                a++;
            }
            drafted += room;
            accepted += a;
            steps++;
            rounds.add(room);
            produced = Math.min(n, produced + a + 1);
            pos += a + 1;
        }
        return new Replay(drafted, accepted, steps, produced, List.copyOf(rounds));
    }

    /** At most 8 candidate layers, spread over 1 .. n - 1 (all of them for models of up to 9 layers). */
    public static List<Integer> candidateLayers(int nLayer) {
        java.util.TreeSet<Integer> ks = new java.util.TreeSet<>();
        int count = Math.min(8, nLayer - 1);
        for (int i = 0; i < count; i++) ks.add(1 + (int) Math.round((double) i * (nLayer - 2) / Math.max(1, count - 1)));
        return new ArrayList<>(ks);
    }

    /**
     * What {@link #tune} measured and chose: the calibration text (prompt + the model's greedy continuation), each
     * candidate layer's (at most 8 spread over the model, and the default one) draft step and agreement bits, the warm 1-token step time, verify costs {@code verifyCost[T]}
     * (T = 1 .. maxDraft + 1, in 1-token steps), each layer's draft step cost, and the best predicted (layer, draft-max).
     */
    public record Tuning(int[] text, int promptLength, int context, int decode, List<Integer> layers, java.util.Map<Integer, StepExecutor> drafts,
                         java.util.Map<Integer, boolean[]> agreement, double stepNanos, double[] verifyCost, java.util.Map<Integer, Double> draftCost,
                         int bestLayer, int bestDraftMax, double predicted) {
        /** The replay of the loop for {@code layer} and {@code draftMax} on the calibration text. */
        public Replay replay(int layer, int draftMax) { return EarlyExitTuner.replay(agreement.get(layer), promptLength, decode, draftMax, context); }
    }

    /**
     * Measures and chooses, in this process, on {@code m} (opened with every position's logits, a context of at least
     * {@code ctx}): plain greedy runs of {@code prompt} for {@code warmupSeconds} (the JIT; the last one's text, {@code decode
     * + maxDraft} tokens, is the calibration text), each candidate layer's agreement bits on it, and five rounds of warm
     * step costs (each step at least 0.1 s, ratios to the round's 1-token step, medians). The choice maximizes the replayed
     * loop's tokens over its cost in 1-token steps, for draft-max 1 .. {@code maxDraft}.
     */
    public static Tuning tune(ggufc.runtime.LoadedModel m, String prompt, int decode, int maxDraft, double warmupSeconds, int ctx,
                              java.util.function.Consumer<String> progress) {
        ggufc.runtime.SamplerOptions greedy = new ggufc.runtime.SamplerOptions(0, 40, 0.95, 42);
        StepExecutor ex = m.executor();
        int nLayer = m.hparams().nLayer();
        progress.accept("warm-up");
        ggufc.runtime.Generator gen = m.generator();
        long until = System.nanoTime() + (long) (warmupSeconds * 1e9);
        ggufc.runtime.Generator.Result calib;
        do {
            calib = gen.generate(prompt, decode + maxDraft, greedy, true, x -> {});
        } while (System.nanoTime() < until);
        int promptLen = calib.promptTokens().length;
        if (promptLen + decode + maxDraft >= Math.min(ctx, ex.contextSize())) throw new IllegalArgumentException("the calibration prompt of " + promptLen + " tokens is too long for the context");
        int[] text = java.util.Arrays.copyOf(calib.promptTokens(), promptLen + calib.generated().length);
        System.arraycopy(calib.generated(), 0, text, promptLen, calib.generated().length);
        // the spread candidates and the default layer (what `run --spec-type early-exit` takes without --draft-layer)
        java.util.TreeSet<Integer> ks = new java.util.TreeSet<>(candidateLayers(nLayer));
        ks.add(m.draftLayer(-1));
        List<Integer> layers = new ArrayList<>(ks);
        java.util.Map<Integer, StepExecutor> drafts = new java.util.LinkedHashMap<>();
        java.util.Map<Integer, boolean[]> agree = new java.util.LinkedHashMap<>();
        for (int k : layers) {
            progress.accept("agreement after layer " + k + " of " + nLayer);
            StepExecutor d = m.earlyExitDraft(k);
            drafts.put(k, d);
            agreement(d, text); // warms the draft step
            agree.put(k, agreement(d, text));
        }
        progress.accept("step costs");
        int at = promptLen;
        int[] one = {text[at]};
        // five rounds over every step kind: a JIT recompile or a neighbour's burst moves one round, not the median
        int rounds = 5;
        double[][] verifyRounds = new double[maxDraft + 2][rounds];
        java.util.Map<Integer, double[]> draftRounds = new java.util.LinkedHashMap<>();
        double[] t1Rounds = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            double t1r = nanosPerCall(() -> ex.stepArgmax(one, at), 2, 3, 100_000_000L);
            t1Rounds[r] = t1r;
            for (int t = 2; t <= maxDraft + 1; t++) {
                int[] batch = java.util.Arrays.copyOfRange(text, at, at + t);
                verifyRounds[t][r] = nanosPerCall(() -> ex.stepAll(batch, at), 2, 3, 100_000_000L) / t1r;
            }
            for (int k : layers) {
                StepExecutor d = drafts.get(k);
                draftRounds.computeIfAbsent(k, x -> new double[rounds])[r] = nanosPerCall(() -> d.step(one, at), 2, 3, 100_000_000L) / t1r;
            }
        }
        double[] verify = new double[maxDraft + 2];
        verify[1] = 1;
        for (int t = 2; t <= maxDraft + 1; t++) verify[t] = median(verifyRounds[t]);
        java.util.Map<Integer, Double> draftCost = new java.util.LinkedHashMap<>();
        for (int k : layers) draftCost.put(k, median(draftRounds.get(k)));
        int bestK = layers.getFirst(), bestD = 1;
        double best = -1;
        for (int k : layers) {
            for (int dmax = 1; dmax <= maxDraft; dmax++) {
                double s = replay(agree.get(k), promptLen, decode, dmax, ctx).speedup(draftCost.get(k), verify);
                if (s > best) { best = s; bestK = k; bestD = dmax; }
            }
        }
        return new Tuning(text, promptLen, ctx, decode, layers, drafts, agree, median(t1Rounds), verify, draftCost, bestK, bestD, best);
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        java.util.Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /**
     * Nanoseconds per call of {@code step}, warm: called until {@code minNanos} have passed and at least {@code minCalls}
     * times, after {@code warmCalls} untimed calls.
     */
    public static double nanosPerCall(Runnable step, int warmCalls, int minCalls, long minNanos) {
        for (int i = 0; i < warmCalls; i++) step.run();
        int calls = 0;
        long t0 = System.nanoTime(), t;
        do {
            step.run();
            calls++;
            t = System.nanoTime();
        } while (calls < minCalls || t - t0 < minNanos);
        return (double) (t - t0) / calls;
    }
}
