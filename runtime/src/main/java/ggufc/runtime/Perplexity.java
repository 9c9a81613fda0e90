package ggufc.runtime;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.IntConsumer;

/**
 * Perplexity and KL divergence as llama.cpp's {@code llama-perplexity} computes them
 * ({@code tools/perplexity/perplexity.cpp}, {@code perplexity()} and {@code kl_divergence()}):
 * the text is tokenized once (BOS added as the vocabulary says), cut into {@code n_chunk = min(--chunks,
 * n_tokens / n_ctx)} chunks of n_ctx tokens; each chunk runs from an empty KV cache with its first token
 * replaced by BOS (when the vocabulary adds BOS), and only its second half is scored: the logits at
 * positions {@code n_ctx/2 .. n_ctx-2} predict tokens {@code n_ctx/2+1 .. n_ctx-1}. PPL is
 * {@code exp(mean NLL)}, its uncertainty {@code PPL * sqrt((mean(NLL²) - mean(NLL)²) / (count-1))}.
 *
 * <p>Output follows llama-perplexity: {@code [1]x.xxxx,[2]...} (running PPL after each chunk), a newline,
 * then {@code Final estimate: PPL = x +/- y}; the KL-divergence mode prints its per-chunk table and its
 * three statistics blocks.
 */
public final class Perplexity {
    private Perplexity() {}

    /** Logits of every position of a sequence run from an empty cache. */
    public interface Evaluator {
        /** Resets the KV cache and runs {@code tokens} from position 0 in batches of {@code batch}; rows for every position. */
        float[][] logits(int[] tokens, int batch);

        int vocab();
    }

    /** An evaluator over a model opened with {@code allLogits = true} on the vector backend or the interpreter. */
    public static Evaluator evaluator(StepExecutor ex) {
        int vocab = ex.vocabSize();
        return new Evaluator() {
            @Override
            public float[][] logits(int[] tokens, int batch) {
                ex.reset();
                float[][] rows = new float[tokens.length][];
                for (int done = 0; done < tokens.length; ) {
                    int n = Math.min(batch, tokens.length - done);
                    int[] ids = Arrays.copyOfRange(tokens, done, done + n);
                    if (ex instanceof VectorExecutor v) {
                        float[][] r = v.run(ids, done, true);
                        if (r.length != n) throw new IllegalStateException("the model was not opened with logits for every position");
                        System.arraycopy(r, 0, rows, done, n);
                    } else if (ex instanceof InterpreterExecutor in) {
                        float[] all = in.run(ids, done).get(ggufc.lift.LlamaLifter.LOGITS).f32();
                        if (all.length != n * vocab) throw new IllegalStateException("the model was not opened with logits for every position");
                        for (int i = 0; i < n; i++) rows[done + i] = Arrays.copyOfRange(all, i * vocab, (i + 1) * vocab);
                    } else {
                        throw new IllegalArgumentException("perplexity needs the vector backend or the interpreter, not " + ex.getClass().getSimpleName());
                    }
                    done += n;
                }
                return rows;
            }

            @Override
            public int vocab() { return vocab; }
        };
    }

    /** What the scoring needs besides the model. */
    public record Options(int nCtx, int nChunks, int nBatch) {
        public Options {
            if (nCtx < 2) throw new IllegalArgumentException("the context must be at least 2 tokens, got " + nCtx);
            if (nBatch < 1) throw new IllegalArgumentException("the batch size must be >= 1, got " + nBatch);
        }
    }

    /** The outcome: the running PPL after each chunk, the final PPL and its uncertainty. */
    public record Result(int nChunk, int count, double[] chunkPpl, double ppl, double uncertainty) {}

    /** The chunk count llama-perplexity uses, or an {@link IllegalArgumentException} with its message when the text is too short. */
    public static int chunks(int nTokens, Options o, String source) {
        if (nTokens < 2 * o.nCtx()) {
            throw new IllegalArgumentException("you need at least " + 2 * o.nCtx() + " tokens to evaluate perplexity with a context of " + o.nCtx()
                    + ": " + source + " tokenizes to only " + nTokens + " tokens");
        }
        int max = nTokens / o.nCtx();
        return o.nChunks() < 0 ? max : Math.min(o.nChunks(), max);
    }

    /**
     * Scores {@code tokens} (the whole text, tokenized with BOS as the vocabulary says; {@code bos} is the
     * id put first in every chunk, or -1 when the vocabulary adds none). Prints the running PPL per chunk
     * to {@code out}; with {@code save} writes each chunk's log-probabilities to it (whose header must be
     * written already). {@code chunkDone} hears the number of chunks finished.
     */
    public static Result perplexity(Evaluator ev, int[] tokens, int bos, Options o, String source, BaseLogitsFile.Writer save,
                                    PrintStream out, IntConsumer chunkDone) {
        int nCtx = o.nCtx();
        int nChunk = chunks(tokens.length, o, source);
        int nVocab = ev.vocab();
        int first = nCtx / 2;
        int batch = Math.min(o.nBatch(), nCtx);
        double nll = 0, nll2 = 0;
        int count = 0;
        double[] running = new double[nChunk];
        short[][] rows = save == null ? null : new short[BaseLogitsFile.rowsPerChunk(nCtx)][BaseLogitsFile.rowLength(nVocab)];
        for (int c = 0; c < nChunk; c++) {
            int start = c * nCtx;
            int[] chunk = Arrays.copyOfRange(tokens, start, start + nCtx);
            if (bos >= 0) chunk[0] = bos;
            float[][] logits = ev.logits(chunk, batch);
            for (int j = first; j < nCtx - 1; j++) {
                int tok = tokens[start + j + 1];
                double v = save != null ? BaseLogitsFile.quantizeRow(logits[j], nVocab, rows[j - first], tok) : -logSoftmax(logits[j], nVocab, tok);
                nll += v;
                nll2 += v * v;
            }
            if (save != null) save.writeChunk(rows);
            count += nCtx - first - 1;
            running[c] = Math.exp(nll / count);
            out.printf(Locale.ROOT, "[%d]%.4f,", c + 1, running[c]);
            out.flush();
            if (chunkDone != null) chunkDone.accept(c + 1);
        }
        out.println();
        double mean = nll / count;
        double var = nll2 / count - mean * mean;
        double ppl = Math.exp(mean);
        double unc = var > 0 ? Math.sqrt(var / (count - 1)) * ppl : Double.NaN;
        return new Result(nChunk, count, running, ppl, unc);
    }

    /** llama-perplexity's final line (NaN uncertainty: its error line instead). */
    public static String finalLine(Result r) {
        return Double.isNaN(r.uncertainty()) ? "Unexpected negative standard deviation of log(prob)"
                : String.format(Locale.ROOT, "Final estimate: PPL = %.4f +/- %.5f", r.ppl(), r.uncertainty());
    }

    /** {@code log_softmax(n_vocab, logits, tok).log_softmax}: logit - max - log(sum exp), the sum in double of float exps. */
    static double logSoftmax(float[] logits, int nVocab, int tok) {
        float max = logits[0];
        for (int i = 1; i < nVocab; i++) max = Math.max(max, logits[i]);
        double sum = 0;
        for (int i = 0; i < nVocab; i++) sum += (float) Math.exp(logits[i] - max);
        return (logits[tok] - max) - Math.log(sum);
    }

    // ---------------------------------------------------------------- KL divergence

    /** llama-perplexity's kl_divergence_result: running sums over scored tokens. */
    public static final class Kld {
        double sumNll, sumNll2, sumNllBase, sumNllBase2, sumNllNllBase, sumKld, sumKld2, sumPDiff, sumPDiff2, sumPDiff4;
        float maxPDiff;
        long nSameTop, count;
        float[] kldValues = new float[0], pDiffValues = new float[0];
        int n;

        /** One token: its logits, the stored base row, the token that follows; llama's log_softmax(..., base_log_prob, tok, kld). */
        void add(float[] logits, int nVocab, short[] base, int tok) {
            float max = logits[0];
            int imax = 0;
            for (int i = 1; i < nVocab; i++) {
                if (logits[i] > max) {
                    max = logits[i];
                    imax = i;
                }
            }
            double sumExp = 0;
            for (int i = 0; i < nVocab; i++) sumExp += (float) Math.exp(logits[i] - max);
            float logSumExp = (float) Math.log(sumExp);
            float scale = BaseLogitsFile.scale(base), minLogProb = BaseLogitsFile.minLogProb(base);
            float nll = max + logSumExp - logits[tok];
            sumNll += nll;
            sumNll2 += nll * nll;
            float nllBase = -(scale * (base[4 + tok] & 0xffff) + minLogProb);
            sumNllBase += nllBase;
            sumNllBase2 += nllBase * nllBase;
            sumNllNllBase += nll * nllBase;
            max += logSumExp;
            double sum = 0;
            int imaxBase = -1;
            float pLogBaseMax = 0;
            for (int i = 0; i < nVocab; i++) {
                float pLogBase = scale * (base[4 + i] & 0xffff) + minLogProb;
                if (i == 0 || pLogBase > pLogBaseMax) {
                    pLogBaseMax = pLogBase;
                    imaxBase = i;
                }
                if (pLogBase > -16.f) {
                    float pBase = (float) Math.exp(pLogBase);
                    sum += pBase * (pLogBase - logits[i] + max);
                }
            }
            sumKld += sum;
            sumKld2 += sum * sum;
            count++;
            if (imax == imaxBase) nSameTop++;
            float pBase = (float) Math.exp(-nllBase);
            float p = (float) Math.exp(-nll);
            float pDiff = p - pBase;
            sumPDiff += pDiff;
            double pDiff2 = pDiff * pDiff;
            sumPDiff2 += pDiff2;
            sumPDiff4 += pDiff2 * pDiff2;
            maxPDiff = Math.max(maxPDiff, Math.abs(pDiff));
            if (n == kldValues.length) {
                kldValues = Arrays.copyOf(kldValues, Math.max(256, 2 * n));
                pDiffValues = Arrays.copyOf(pDiffValues, kldValues.length);
            }
            kldValues[n] = (float) sum;
            pDiffValues[n] = pDiff;
            n++;
        }

        public long count() { return count; }

        public double meanKld() { return meanAndUncertainty(sumKld, sumKld2, count)[0]; }

        public double maxKld() {
            float m = 0;
            for (int i = 0; i < n; i++) m = Math.max(m, kldValues[i]);
            return m;
        }

        public double sameTop() { return (double) nSameTop / count; }

        public double ppl() { return Math.exp(meanAndUncertainty(sumNll, sumNll2, count)[0]); }

        public double pplBase() { return Math.exp(meanAndUncertainty(sumNllBase, sumNllBase2, count)[0]); }
    }

    static double[] meanAndUncertainty(double sum, double sum2, long count) {
        if (count < 1) return new double[] {0, 0};
        double f = sum / count;
        double df = sum2 / count - f * f;
        df = df > 0 && count > 10 ? Math.sqrt(df / (count - 1)) : 0.;
        return new double[] {f, df};
    }

    static double covariance(double suma, double sumb, double sumab, long count) {
        if (count < 10) return 0.0;
        double var = sumab / count - (suma / count) * (sumb / count);
        return var / (count - 1);
    }

    public static final String KLD_HEADER =
            "chunk             PPL               ln(PPL(Q)/PPL(base))          KL Divergence              Δp RMS            Same top p";

    /**
     * Compares the model against the base file {@code base} (its tokens, n_ctx and chunk count; the
     * options' n_ctx and --chunks are not used, as in llama-perplexity): prints the per-chunk table and,
     * from 100 scored tokens on, the statistics blocks.
     */
    public static Kld klDivergence(Evaluator ev, BaseLogitsFile.Reader base, int bos, int nBatch, PrintStream out, IntConsumer chunkDone) {
        int nCtx = base.nCtx(), nVocab = base.nVocab(), nChunk = base.nChunk();
        if (nVocab != ev.vocab()) {
            throw new IllegalArgumentException(base.path() + ": inconsistent vocabulary: the file has " + nVocab + " tokens, the model " + ev.vocab());
        }
        int[] tokens = base.tokens();
        int first = nCtx / 2;
        int batch = Math.min(nBatch, nCtx);
        Kld kld = new Kld();
        out.println();
        out.println(KLD_HEADER);
        for (int c = 0; c < nChunk; c++) {
            int start = c * nCtx;
            int[] chunk = Arrays.copyOfRange(tokens, start, start + nCtx);
            if (bos >= 0) chunk[0] = bos;
            float[][] logits = ev.logits(chunk, batch);
            short[][] rows = base.readChunk();
            for (int j = first; j < nCtx - 1; j++) kld.add(logits[j], nVocab, rows[j - first], tokens[start + j + 1]);
            out.print(chunkLine(c + 1, kld));
            out.flush();
            if (chunkDone != null) chunkDone.accept(c + 1);
        }
        out.println();
        if (kld.count >= 100) out.print(summary(kld));
        out.flush();
        return kld;
    }

    static String chunkLine(int chunk, Kld k) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%4d", chunk));
        double[] logPpl = meanAndUncertainty(k.sumNll, k.sumNll2, k.count);
        double pplVal = Math.exp(logPpl[0]);
        s.append(String.format(Locale.ROOT, "    %9.4f ± %9.4f", pplVal, pplVal * logPpl[1]));
        double[] logPplBase = meanAndUncertainty(k.sumNllBase, k.sumNllBase2, k.count);
        double cov = covariance(k.sumNll, k.sumNllBase, k.sumNllNllBase, k.count);
        double ratioUnc = Math.sqrt(logPpl[1] * logPpl[1] + logPplBase[1] * logPplBase[1] - 2.0 * cov);
        s.append(String.format(Locale.ROOT, "    %10.5f ± %10.5f", logPpl[0] - logPplBase[0], ratioUnc));
        double[] kl = meanAndUncertainty(k.sumKld, k.sumKld2, k.count);
        s.append(String.format(Locale.ROOT, "    %10.5f ± %10.5f", kl[0], kl[1]));
        double[] mse = meanAndUncertainty(k.sumPDiff2, k.sumPDiff4, k.count);
        double rms = Math.sqrt(mse[0]);
        s.append(String.format(Locale.ROOT, "    %6.3f ± %6.3f %%", 100.0 * rms, 100.0 * (0.5 / rms * mse[1])));
        double top = (double) k.nSameTop / k.count;
        s.append(String.format(Locale.ROOT, "    %6.3f ± %6.3f %%", 100.0 * top, 100.0 * Math.sqrt(top * (1 - top) / (k.count - 1))));
        return s.append('\n').toString();
    }

    /** llama-perplexity's {@code fraction} percentile of sorted {@code v} (float arithmetic, linear interpolation). */
    static float percentile(float[] v, float fraction) {
        if (fraction <= 0) return v[0];
        if (fraction >= 1) return v[v.length - 1];
        float p = fraction * (v.length - 1);
        int ip = (int) p;
        p -= ip;
        return (1 - p) * v[ip] + p * v[Math.min(ip + 1, v.length - 1)];
    }

    static float median(float[] v) {
        return v.length % 2 == 0 ? 0.5f * (v[v.length / 2] + v[v.length / 2 - 1]) : v[v.length / 2];
    }

    /** The three statistics blocks llama-perplexity prints after a KL-divergence run. */
    public static String summary(Kld k) {
        float[] kv = Arrays.copyOf(k.kldValues, k.n), pd = Arrays.copyOf(k.pDiffValues, k.n);
        Arrays.sort(kv);
        Arrays.sort(pd);
        StringBuilder s = new StringBuilder();
        java.util.function.BiConsumer<String, Object[]> p = (fmt, args) -> s.append(String.format(Locale.ROOT, fmt, args));
        s.append("====== Perplexity statistics ======\n");
        double[] logPpl = meanAndUncertainty(k.sumNll, k.sumNll2, k.count);
        double pplVal = Math.exp(logPpl[0]), pplUnc = pplVal * logPpl[1];
        p.accept("Mean PPL(Q)                   : %10.6f ± %10.6f\n", new Object[] {pplVal, pplUnc});
        double[] logBase = meanAndUncertainty(k.sumNllBase, k.sumNllBase2, k.count);
        double baseVal = Math.exp(logBase[0]), baseUnc = baseVal * logBase[1];
        p.accept("Mean PPL(base)                : %10.6f ± %10.6f\n", new Object[] {baseVal, baseUnc});
        double cov = covariance(k.sumNll, k.sumNllBase, k.sumNllNllBase, k.count);
        p.accept("Cor(ln(PPL(Q)), ln(PPL(base))): %6.2f%%\n", new Object[] {100.0 * cov / (logPpl[1] * logBase[1])});
        double ratioVal = logPpl[0] - logBase[0];
        double ratioUnc = Math.sqrt(logPpl[1] * logPpl[1] + logBase[1] * logBase[1] - 2.0 * cov);
        p.accept("Mean ln(PPL(Q)/PPL(base))     : %10.6f ± %10.6f\n", new Object[] {ratioVal, ratioUnc});
        double pr = Math.exp(ratioVal);
        p.accept("Mean PPL(Q)/PPL(base)         : %10.6f ± %10.6f\n", new Object[] {pr, pr * ratioUnc});
        double pplCov = pplVal * baseVal * cov;
        p.accept("Mean PPL(Q)-PPL(base)         : %10.6f ± %10.6f\n",
                new Object[] {pplVal - baseVal, Math.sqrt(pplUnc * pplUnc + baseUnc * baseUnc - 2.0 * pplCov)});
        s.append('\n');
        s.append("====== KL divergence statistics ======\n");
        double[] kl = meanAndUncertainty(k.sumKld, k.sumKld2, k.count);
        p.accept("Mean    KLD: %10.6f ± %10.6f\n", new Object[] {kl[0], kl[1]});
        p.accept("Maximum KLD: %10.6f\n", new Object[] {kv[kv.length - 1]});
        p.accept("99.9%%   KLD: %10.6f\n", new Object[] {percentile(kv, 0.999f)});
        p.accept("99.0%%   KLD: %10.6f\n", new Object[] {percentile(kv, 0.990f)});
        p.accept("95.0%%   KLD: %10.6f\n", new Object[] {percentile(kv, 0.950f)});
        p.accept("90.0%%   KLD: %10.6f\n", new Object[] {percentile(kv, 0.900f)});
        p.accept("Median  KLD: %10.6f\n", new Object[] {median(kv)});
        p.accept("10.0%%   KLD: %10.6f\n", new Object[] {percentile(kv, 0.100f)});
        p.accept(" 5.0%%   KLD: %10.6f\n", new Object[] {percentile(kv, 0.050f)});
        p.accept(" 1.0%%   KLD: %10.6f\n", new Object[] {percentile(kv, 0.010f)});
        p.accept(" 0.1%%   KLD: %10.6f\n", new Object[] {percentile(kv, 0.001f)});
        p.accept("Minimum KLD: %10.6f\n", new Object[] {kv[0]});
        s.append('\n');
        s.append("====== Token probability statistics ======\n");
        double[] pdiff = meanAndUncertainty(k.sumPDiff, k.sumPDiff2, k.count);
        p.accept("Mean    Δp: %6.3f ± %5.3f %%\n", new Object[] {100.0 * pdiff[0], 100.0 * pdiff[1]});
        p.accept("Maximum Δp: %6.3f%%\n", new Object[] {100.0 * pd[pd.length - 1]});
        float[] fr = {0.999f, 0.990f, 0.950f, 0.900f, 0.750f};
        String[] nm = {"99.9", "99.0", "95.0", "90.0", "75.0"};
        for (int i = 0; i < fr.length; i++) p.accept(nm[i] + "%%   Δp: %6.3f%%\n", new Object[] {100.0 * percentile(pd, fr[i])});
        p.accept("Median  Δp: %6.3f%%\n", new Object[] {100.0 * median(pd)});
        float[] lo = {0.250f, 0.100f, 0.050f, 0.010f, 0.001f};
        String[] lnm = {"25.0", "10.0", " 5.0", " 1.0", " 0.1"};
        for (int i = 0; i < lo.length; i++) p.accept(lnm[i] + "%%   Δp: %6.3f%%\n", new Object[] {100.0 * percentile(pd, lo[i])});
        p.accept("Minimum Δp: %6.3f%%\n", new Object[] {100.0 * pd[0]});
        double[] mse = meanAndUncertainty(k.sumPDiff2, k.sumPDiff4, k.count);
        double rms = Math.sqrt(mse[0]);
        p.accept("RMS Δp    : %6.3f ± %5.3f %%\n", new Object[] {100.0 * rms, 100.0 * (0.5 / rms * mse[1])});
        double top = (double) k.nSameTop / k.count;
        p.accept("Same top p: %6.3f ± %5.3f %%\n", new Object[] {100.0 * top, 100.0 * Math.sqrt(top * (1.0 - top) / (k.count - 1))});
        return s.toString();
    }
}
