package ggufc.runtime.bench;

import ggufc.runtime.Generator;
import ggufc.runtime.LoadedModel;
import ggufc.runtime.SamplerOptions;
import ggufc.tokenizer.Tokenizer;
import java.util.Arrays;

/**
 * The measurement protocol of llama.cpp's {@code refllama bench} (the reference's
 * {@code bench.sh}), run on a loaded model: a prompt of {@code P} tokens (BOS, then the same
 * seeded pseudo-random non-special tokens) evaluated as one batch, then {@code N} greedy decode
 * steps with EOS ignored; warm-up runs, then {@code reps} timed runs; tokens/s per run.
 *
 * <p>Warm-up: llama.cpp's bench warms up with one run; a JVM needs its JIT to have compiled the
 * kernels, so after the first (cold) run, whose figures are kept apart, warm-up runs continue
 * until {@code warmupNanos} have passed (at least one run in all).
 */
public final class BenchRun {
    private BenchRun() {}

    /**
     * Tokens/s of every timed run, of the first (cold) run, the number of warm-up runs, and the time
     * from JVM start to the first run's first sampled token.
     */
    public record Result(double[] promptTps, double[] decodeTps, double coldPromptTps, double coldDecodeTps, int warmupRuns, long firstTokenMillis) {
        public double promptMedian() { return median(promptTps); }

        public double decodeMedian() { return median(decodeTps); }
    }

    /**
     * refllama's prompt: BOS, then tokens from the LCG {@code s = s * 1664525 + 1013904223}
     * (seed 12345), token {@code (s >>> 8) % vocab}, skipping control and end-of-generation tokens
     * (here: tokens whose text without specials is empty, and EOG tokens).
     */
    public static int[] promptTokens(Tokenizer tok, int P) {
        if (P < 1) throw new IllegalArgumentException("the prompt needs at least 1 token, got " + P);
        int nv = tok.vocabSize();
        int[] p = new int[P];
        int n = 0;
        p[n++] = tok.bos() >= 0 ? tok.bos() : 0;
        int s = 12345;
        while (n < P) {
            s = s * 1664525 + 1013904223;
            int t = (int) (Integer.toUnsignedLong(s >>> 8) % nv);
            if (tok.isEog(t) || t == tok.bos() || tok.pieceBytes(t, false).length == 0) continue;
            p[n++] = t;
        }
        return p;
    }

    /** Runs the protocol; {@code jvmStartMillis} is the epoch time the process started (for the first-token time). */
    public static Result run(LoadedModel m, int P, int N, int reps, long jvmStartMillis, long warmupNanos) {
        if (N < 1 || reps < 1) throw new IllegalArgumentException("decode tokens and repetitions must be >= 1");
        int[] prompt = promptTokens(m.tokenizer(), P);
        Generator g = m.generator();
        SamplerOptions greedy = SamplerOptions.greedy();
        double[] pp = new double[reps], tg = new double[reps];
        // N decode steps follow the prompt's own token: N + 1 tokens generated
        long start = System.nanoTime();
        Generator.Result cold = g.generate(prompt, N + 1, greedy, true, piece -> {});
        long firstToken = System.currentTimeMillis() - jvmStartMillis - cold.decodeNanos() / 1_000_000;
        int warmups = 1;
        while (System.nanoTime() - start < warmupNanos && warmups < 1000) {
            g.generate(prompt, N + 1, greedy, true, piece -> {});
            warmups++;
        }
        for (int r = 0; r < reps; r++) {
            Generator.Result res = g.generate(prompt, N + 1, greedy, true, piece -> {});
            pp[r] = res.promptTokensPerSecond();
            tg[r] = res.decodeTokensPerSecond();
        }
        return new Result(pp, tg, cold.promptTokensPerSecond(), cold.decodeTokensPerSecond(), warmups, firstToken);
    }

    public static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        int n = s.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    }
}
