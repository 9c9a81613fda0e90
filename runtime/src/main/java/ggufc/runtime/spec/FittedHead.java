package ggufc.runtime.spec;

import ggufc.runtime.Sampler;
import ggufc.runtime.StepExecutor;
import ggufc.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Fits the projection {@code P} of the nextn-style draft head ({@code ggufc.lift.FittedHeadLifter}) by self-distillation:
 * the model generates greedy text from built-in prompts, and {@code P} is trained so that
 * {@code head(output_norm(P · concat(rms_norm(embed(x[t+1])), hidden[t])))} predicts {@code x[t+2]}, the model's own
 * token after next; {@code hidden[t]} is the target's final-norm row that chose {@code x[t+1]}. The embedding, final norm
 * and LM head stay fixed. Plain Adam on the mean cross-entropy, mini-batches in a fixed order from a fixed seed: the
 * same file gives the same {@code P}. The gradient is written by hand ({@link #lossAndGradient}) and checked against
 * finite differences in the tests.
 */
public final class FittedHead {
    /** The text the head is fitted on (the evaluation prompt of the README and the tests, "Once upon a time", is not one). */
    public static final List<String> TRAIN_PROMPTS = List.of("One day", "The little dog", "Lily and Tom", "Tim had a red ball", "There was a big tree",
            "Sue went to the park", "The cat was sad", "Ben liked to play");
    /** Held-out prompts: their text measures how often the fitted head's first draft is the model's token. */
    public static final List<String> HELD_OUT_PROMPTS = List.of("A little bird", "Mom said");

    /** The frozen parts of the head: token embedding rows, final norm weight, LM head rows ([vocab][n] each), the norm's epsilon. */
    public record Frozen(float[][] embedding, float[] outputNorm, float[][] lmHead, double eps) {
        public int width() { return outputNorm.length; }
    }

    /** Self-generated samples: per position, the target's hidden row, the token it chose, and the token after that. */
    public record Corpus(float[][] hidden, int[] token, int[] next) {
        public int size() { return token.length; }
    }

    /** A fitted projection [n][2n] row-major, the samples it was fitted on, its last epoch's mean training loss and its held-out agreement. */
    public record Fit(float[] proj, int trainTokens, double trainLoss, int heldOutTokens, double heldOutAgreement) {}

    private FittedHead() {}

    /**
     * Greedy text from each prompt ({@code perPrompt} generated tokens, end-of-generation ignored, cut to the context),
     * run on {@code target} (an executor giving hidden rows); the executor is reset before each prompt and after.
     */
    public static Corpus generate(StepExecutor target, Tokenizer tokenizer, List<String> prompts, int perPrompt) {
        List<float[]> hidden = new ArrayList<>();
        List<Integer> token = new ArrayList<>(), next = new ArrayList<>();
        for (String prompt : prompts) {
            target.reset();
            int[] ids = tokenizer.encode(prompt, true, false);
            if (ids.length + 1 >= target.contextSize()) continue; // no room after this prompt in the context
            int pos = ids.length;
            int x = Sampler.argmax(target.step(ids, 0));
            float[] h = target.hiddenRow(-1);
            for (int i = 0; i < perPrompt && pos + 1 < target.contextSize(); i++, pos++) {
                int y = Sampler.argmax(target.step(new int[] {x}, pos));
                hidden.add(h);
                token.add(x);
                next.add(y);
                h = target.hiddenRow(-1);
                x = y;
            }
        }
        target.reset();
        return new Corpus(hidden.toArray(float[][]::new), token.stream().mapToInt(Integer::intValue).toArray(), next.stream().mapToInt(Integer::intValue).toArray());
    }

    /** The frozen parts of {@code f}'s head, as f32 (dequantized where the file is not). */
    public static Frozen frozen(ggufc.gguf.GgufFile f, ggufc.lift.LlamaHparams hp) {
        int n = hp.nEmbd(), vocab = hp.vocab();
        float[][] embedding = rows(f, "token_embd.weight", vocab, n);
        float[][] head = hp.tiedOutput() ? embedding : rows(f, "output.weight", vocab, n);
        return new Frozen(embedding, rows(f, "output_norm.weight", 1, n)[0], head, hp.rmsEps());
    }

    private static float[][] rows(ggufc.gguf.GgufFile f, String name, int rows, int width) {
        ggufc.gguf.GgufTensorInfo t = f.tensor(name);
        if (t == null) throw new ggufc.gguf.GgufException(f.path(), "missing tensor '" + name + "'");
        float[] flat = ggufc.gguf.GgufTensors.dequantize(f, t);
        if (flat.length != (long) rows * width) throw new ggufc.gguf.GgufException(f.path(), "tensor '" + name + "' has " + flat.length + " values, expected " + rows + " x " + width);
        float[][] out = new float[rows][];
        for (int r = 0; r < rows; r++) out[r] = Arrays.copyOfRange(flat, r * width, (r + 1) * width);
        return out;
    }

    /** Tokens generated per prompt for fitting ({@link #TRAIN_PROMPTS}: about 3k samples) and for the held-out agreement. */
    public static final int TRAIN_PER_PROMPT = 384, HELD_OUT_PER_PROMPT = 192;
    /** Adam's settings: fixed, so that the same model gives the same head. */
    public static final int EPOCHS = 12, BATCH = 64;
    public static final double LEARNING_RATE = 3e-3;
    public static final long SEED = 11;

    /** Generates the training and held-out text on {@code target} (reset after) and fits the head with the fixed settings. */
    public static Fit fitAtLoad(StepExecutor target, Tokenizer tokenizer, ggufc.gguf.GgufFile f, ggufc.lift.LlamaHparams hp) {
        Frozen fz = frozen(f, hp);
        Corpus train = generate(target, tokenizer, TRAIN_PROMPTS, TRAIN_PER_PROMPT);
        if (train.size() == 0) {
            throw new IllegalArgumentException("--spec-type fitted: a context of " + target.contextSize() + " tokens leaves no room for the text the head is fitted on (raise --ctx; up to "
                    + TRAIN_PER_PROMPT + " tokens after each built-in prompt are used)");
        }
        Corpus heldOut = generate(target, tokenizer, HELD_OUT_PROMPTS, HELD_OUT_PER_PROMPT);
        return fit(fz, train, heldOut, EPOCHS, BATCH, LEARNING_RATE, SEED);
    }

    /** The input row {@code concat(rms_norm(embed(token)), hidden)} of a sample. */
    static float[] input(Frozen fz, int token, float[] hidden) {
        int n = fz.width();
        float[] x = new float[2 * n];
        float[] e = fz.embedding()[token];
        double ss = 0;
        for (float v : e) ss += (double) v * v;
        float r = (float) (1 / Math.sqrt(ss / n + fz.eps()));
        for (int i = 0; i < n; i++) x[i] = e[i] * r;
        System.arraycopy(hidden, 0, x, n, n);
        return x;
    }

    /** {@code z = P x} for the [n, 2n] row-major {@code proj} ({@code z} of n, returned), accumulated in f32 in row order. */
    static float[] project(float[] proj, float[] x, float[] z) {
        int in = x.length;
        for (int i = 0; i < z.length; i++) {
            float s = 0;
            for (int j = 0; j < in; j++) s += proj[i * in + j] * x[j];
            z[i] = s;
        }
        return z;
    }

    /** The head's logits for input row {@code x} under {@code proj}; {@code normed} (nullable) gets {@code output_norm(P x)}. */
    static float[] logits(Frozen fz, float[] proj, float[] x, float[] normed) {
        int n = fz.width();
        float[] z = project(proj, x, new float[n]);
        double ss = 0;
        for (float v : z) ss += (double) v * v;
        float r = (float) (1 / Math.sqrt(ss / n + fz.eps()));
        float[] g = normed != null ? normed : new float[n];
        for (int i = 0; i < n; i++) g[i] = z[i] * r * fz.outputNorm()[i];
        float[][] w = fz.lmHead();
        float[] l = new float[w.length];
        for (int v = 0; v < w.length; v++) {
            float s = 0;
            for (int i = 0; i < n; i++) s += w[v][i] * g[i];
            l[v] = s;
        }
        return l;
    }

    /**
     * The mean cross-entropy of {@code x[t+2]} over samples {@code from .. to} of {@code inputs} (rows made by
     * {@link #input}) and, when {@code grad} is not null, its gradient with respect to {@code proj} added into {@code grad}.
     * With {@code z = P x}, {@code u = z / rms(z)}, {@code g = u ⊙ w}, {@code l = W g}, {@code p = softmax(l)}:
     * {@code dl = p - onehot(y)}, {@code dg = Wᵀ dl}, {@code du = dg ⊙ w}, {@code dz = (du - u · mean(du ⊙ u)) / rms(z)},
     * {@code dP = dz xᵀ}.
     */
    public static double lossAndGradient(Frozen fz, float[] proj, float[][] inputs, int[] next, int from, int to, float[] grad) {
        int n = fz.width(), in = 2 * n, count = to - from;
        float[][] w = fz.lmHead();
        float[] wn = fz.outputNorm();
        double loss = 0;
        float[] z = new float[n], u = new float[n], dz = new float[n], dg = new float[n];
        for (int s = from; s < to; s++) {
            float[] x = inputs[s];
            project(proj, x, z);
            double ss = 0;
            for (float v : z) ss += (double) v * v;
            double r = 1 / Math.sqrt(ss / n + fz.eps());
            float[] g = new float[n];
            for (int i = 0; i < n; i++) {
                u[i] = (float) (z[i] * r);
                g[i] = u[i] * wn[i];
            }
            double[] l = new double[w.length];
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < w.length; v++) {
                double acc = 0;
                for (int i = 0; i < n; i++) acc += w[v][i] * g[i];
                l[v] = acc;
                max = Math.max(max, acc);
            }
            double sum = 0;
            for (int v = 0; v < l.length; v++) sum += Math.exp(l[v] - max);
            double logSum = max + Math.log(sum);
            loss += logSum - l[next[s]];
            if (grad == null) continue;
            Arrays.fill(dg, 0);
            for (int v = 0; v < w.length; v++) {
                double dl = Math.exp(l[v] - logSum) - (v == next[s] ? 1 : 0);
                if (dl == 0) continue;
                float d = (float) (dl / count);
                for (int i = 0; i < n; i++) dg[i] += d * w[v][i];
            }
            double mean = 0;
            for (int i = 0; i < n; i++) mean += (double) dg[i] * wn[i] * u[i];
            mean /= n;
            for (int i = 0; i < n; i++) dz[i] = (float) ((dg[i] * wn[i] - u[i] * mean) * r);
            for (int i = 0; i < n; i++) {
                float d = dz[i];
                for (int j = 0; j < in; j++) grad[i * in + j] += d * x[j];
            }
        }
        return loss / count;
    }

    /** The input rows of every sample of {@code c}. */
    public static float[][] inputs(Frozen fz, Corpus c) {
        float[][] x = new float[c.size()][];
        for (int s = 0; s < x.length; s++) x[s] = input(fz, c.token()[s], c.hidden()[s]);
        return x;
    }

    /** {@code P} for {@code train}: small random from {@code seed}, then {@code epochs} of Adam over batches of {@code batch} in order; gives P and the last epoch's mean loss. */
    public static Fit fit(Frozen fz, Corpus train, Corpus heldOut, int epochs, int batch, double lr, long seed) {
        int n = fz.width(), size = n * 2 * n;
        float[] proj = new float[size];
        SplittableRandom rnd = new SplittableRandom(seed);
        double scale = 1 / Math.sqrt(2 * n);
        for (int i = 0; i < size; i++) proj[i] = (float) (rnd.nextGaussian() * scale);
        float[][] x = inputs(fz, train);
        float[] grad = new float[size];
        double[] m = new double[size], v = new double[size];
        double b1 = 0.9, b2 = 0.999, epsAdam = 1e-8, lastLoss = Double.NaN;
        long step = 0;
        for (int e = 0; e < epochs; e++) {
            double total = 0;
            for (int from = 0; from < x.length; from += batch) {
                int to = Math.min(x.length, from + batch);
                Arrays.fill(grad, 0);
                total += lossAndGradient(fz, proj, x, train.next(), from, to, grad) * (to - from);
                step++;
                double c1 = 1 - Math.pow(b1, step), c2 = 1 - Math.pow(b2, step);
                for (int i = 0; i < size; i++) {
                    m[i] = b1 * m[i] + (1 - b1) * grad[i];
                    v[i] = b2 * v[i] + (1 - b2) * grad[i] * grad[i];
                    proj[i] -= (float) (lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + epsAdam));
                }
            }
            lastLoss = total / x.length;
        }
        return new Fit(proj, train.size(), lastLoss, heldOut.size(), agreement(fz, proj, heldOut));
    }

    /** How often the head's largest logit is the model's token after next, over the samples of {@code c}. */
    public static double agreement(Frozen fz, float[] proj, Corpus c) {
        if (c.size() == 0) return 0;
        int hits = 0;
        for (int s = 0; s < c.size(); s++) {
            if (Sampler.argmax(logits(fz, proj, input(fz, c.token()[s], c.hidden()[s]), null)) == c.next()[s]) hits++;
        }
        return (double) hits / c.size();
    }

    /** {@code weights} with the fitted projection bound as {@link ggufc.lift.FittedHeadLifter#PROJ} (f32 [n, 2n]). */
    public static java.util.function.Function<String, ggufc.ir.TensorData> withProjection(java.util.function.Function<String, ggufc.ir.TensorData> weights, float[] proj, int n) {
        if (proj.length != 2L * n * n) throw new IllegalArgumentException("a fitted projection for n_embd " + n + " has " + 2L * n * n + " values, got " + proj.length);
        java.lang.foreign.MemorySegment seg = java.lang.foreign.Arena.ofAuto().allocate(4L * proj.length, 64);
        java.lang.foreign.MemorySegment.copy(proj, 0, seg, java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0, proj.length);
        ggufc.ir.TensorData p = new ggufc.ir.TensorData(ggufc.ir.DType.F32, new long[] {n, 2L * n}, seg);
        return name -> name.equals(ggufc.lift.FittedHeadLifter.PROJ) ? p : weights.apply(name);
    }
}
