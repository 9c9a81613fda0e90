package ggufc.runtime;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Picks the next token from logits (see {@link SamplerOptions}); deterministic for a seed. */
public final class Sampler {
    private final SamplerOptions opt;
    private final SplittableRandom random;

    public Sampler(SamplerOptions opt) {
        this.opt = opt;
        this.random = new SplittableRandom(opt.seed());
    }

    /** Index of the largest logit; the first one on ties (as llama.cpp's greedy sampler). */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    public int sample(float[] logits) {
        if (opt.isGreedy()) return argmax(logits);
        Kept k = kept(logits);
        double r = random.nextDouble() * k.total();
        for (int i = 0; i < k.weights().length; i++) {
            r -= k.weights()[i];
            if (r < 0) return k.order()[i];
        }
        return k.order()[k.weights().length - 1];
    }

    /**
     * The distribution {@link #sample} draws from, over the whole vocabulary: top-k, top-p and
     * temperature as there, 0 outside the kept tokens (speculative sampling's target distribution).
     */
    public double[] distribution(float[] logits) {
        double[] dist = new double[logits.length];
        if (opt.isGreedy()) {
            dist[argmax(logits)] = 1;
            return dist;
        }
        Kept k = kept(logits);
        for (int i = 0; i < k.weights().length; i++) dist[k.order()[i]] = k.weights()[i] / k.total();
        return dist;
    }

    /** The tokens kept by top-k then top-p, best first, and their temperature weights (unnormalized, summing to total). */
    private record Kept(Integer[] order, double[] weights, double total) {}

    private Kept kept(float[] logits) {
        int n = logits.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        int keep = opt.topK() > 0 ? Math.min(opt.topK(), n) : n;
        // top-p on the softmax of the raw logits
        double max = logits[order[0]];
        double[] p = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) sum += p[i] = Math.exp(logits[order[i]] - max);
        if (opt.topP() < 1) {
            double cum = 0;
            for (int i = 0; i < keep; i++) {
                cum += p[i] / sum;
                if (cum >= opt.topP()) {
                    keep = i + 1;
                    break;
                }
            }
        }
        // temperature
        double total = 0;
        double[] w = new double[keep];
        for (int i = 0; i < keep; i++) total += w[i] = Math.exp((logits[order[i]] - max) / opt.temperature());
        return new Kept(order, w, total);
    }

    /** True with probability {@code p} (a draft token's acceptance: min(1, p/q) with q = 1 for a deterministic drafter). */
    public boolean accept(double p) { return random.nextDouble() < p; }

    /**
     * A draw from {@code dist} without token {@code excluded}, renormalized: norm(max(0, p - q)) for a
     * one-hot draft distribution q, what speculative sampling draws after rejecting {@code excluded}.
     */
    public int drawExcluding(double[] dist, int excluded) {
        double total = 1 - dist[excluded];
        double r = random.nextDouble() * total;
        int last = -1;
        for (int i = 0; i < dist.length; i++) {
            if (i == excluded || dist[i] == 0) continue;
            last = i;
            r -= dist[i];
            if (r < 0) return i;
        }
        return last >= 0 ? last : excluded;
    }
}
