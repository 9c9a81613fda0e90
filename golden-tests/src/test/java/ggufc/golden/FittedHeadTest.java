package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.ir.DType;
import ggufc.runtime.Generator;
import ggufc.runtime.LoadedModel;
import ggufc.runtime.SamplerOptions;
import ggufc.runtime.spec.EarlyExitTuner;
import ggufc.runtime.spec.FittedHead;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The fitted draft head ({@code --spec-type fitted}): its hand-written gradient against finite differences, its
 * drafts leave greedy text unchanged on both CPU backends, and on held-out self-generated text it agrees with the
 * model far more often than the early exit after one layer.
 */
class FittedHeadTest {
    private static final SamplerOptions GREEDY = new SamplerOptions(0, 40, 0.95, 42);

    /** A small random head (n_embd 6, vocab 11) and 5 samples, from {@code seed}. */
    private record Problem(FittedHead.Frozen frozen, float[] proj, float[][] inputs, int[] next) {
        static Problem random(long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            int n = 6, vocab = 11, samples = 5;
            float[][] emb = new float[vocab][n], head = new float[vocab][n];
            float[] norm = new float[n];
            for (int v = 0; v < vocab; v++) {
                for (int i = 0; i < n; i++) {
                    emb[v][i] = (float) r.nextGaussian();
                    head[v][i] = (float) r.nextGaussian();
                }
            }
            for (int i = 0; i < n; i++) norm[i] = (float) (0.5 + r.nextDouble());
            float[] proj = new float[n * 2 * n];
            for (int i = 0; i < proj.length; i++) proj[i] = (float) (r.nextGaussian() * 0.5);
            float[][] inputs = new float[samples][2 * n];
            int[] next = new int[samples];
            for (int s = 0; s < samples; s++) {
                for (int j = 0; j < 2 * n; j++) inputs[s][j] = (float) r.nextGaussian();
                next[s] = r.nextInt(vocab);
            }
            return new Problem(new FittedHead.Frozen(emb, norm, head, 1e-5), proj, inputs, next);
        }

        double loss(float[] p) { return FittedHead.lossAndGradient(frozen, p, inputs, next, 0, next.length, null); }

        float[] gradient() {
            float[] g = new float[proj.length];
            FittedHead.lossAndGradient(frozen, proj, inputs, next, 0, next.length, g);
            return g;
        }

        /** The largest gap between {@code grad} and central differences of the loss (step 1e-2), over every entry of P, relative to 1e-3 + 1e-2 |fd|. */
        double worstMismatch(float[] grad) {
            double worst = 0;
            float h = 1e-2f;
            for (int i = 0; i < proj.length; i++) {
                float[] plus = proj.clone(), minus = proj.clone();
                plus[i] += h;
                minus[i] -= h;
                double fd = (loss(plus) - loss(minus)) / (plus[i] - minus[i]);
                worst = Math.max(worst, Math.abs(grad[i] - fd) / (1e-3 + 1e-2 * Math.abs(fd)));
            }
            return worst;
        }
    }

    /**
     * The hand-written gradient (matmul, RMS norm, final norm weight, LM head, softmax cross-entropy) is the loss's
     * slope: every entry of P within 1e-3 + 1% of central differences, on several random heads.
     *
     * <p>Checked that this test catches a wrong gradient: with the RMS norm's backward term {@code - u * mean(du ⊙ u)}
     * deleted from {@code FittedHead.lossAndGradient} (the norm treated as a constant scale), this test failed on the
     * first seed (worst mismatch 445.8 times the tolerance, run on 2026-12-05); restored, it passes. {@link #theCheckRejectsASlightlyWrongGradient}
     * keeps a weaker form of that check here for good.
     */
    @Test
    void gradientMatchesFiniteDifferences() {
        for (long seed = 1; seed <= 4; seed++) {
            Problem p = Problem.random(seed);
            double worst = p.worstMismatch(p.gradient());
            assertTrue(worst <= 1, "seed " + seed + ": worst gradient mismatch " + worst + " (1 = tolerance)");
        }
    }

    /** The check is not vacuous: the true gradient with one entry 10% off, or the batch mean forgotten (x5), fails it. */
    @Test
    void theCheckRejectsASlightlyWrongGradient() {
        Problem p = Problem.random(1);
        float[] g = p.gradient();
        int largest = 0;
        for (int i = 1; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[largest])) largest = i;
        float[] off = g.clone();
        off[largest] *= 1.1f;
        assertTrue(p.worstMismatch(off) > 1, "one entry 10% off passed the check");
        float[] unscaled = g.clone();
        for (int i = 0; i < unscaled.length; i++) unscaled[i] *= p.next().length;
        assertTrue(p.worstMismatch(unscaled) > 1, "a gradient not divided by the batch passed the check");
    }

    /** ggufc run --spec-type fitted --temp 0 prints exactly the plain greedy text, on the vector plan and the interpreter (and layer and tensor splits over CPU sub-devices), and says what it fitted. */
    @Test
    void fittedDraftsKeepGreedyText() {
        for (String backend : List.of("vector", "interpreter")) {
            CliTest.Run plain = SpeculativeCliTest.run("--backend", backend);
            assertEquals(0, plain.exit(), plain.err());
            for (String max : List.of("3", "1")) {
                CliTest.Run r = SpeculativeCliTest.run("--backend", backend, "--spec-type", "fitted", "--draft-max", max, "--timings");
                assertEquals(0, r.exit(), r.err());
                assertEquals(plain.out(), r.out(), backend + " draft-max " + max);
                assertTrue(r.err().matches("(?s).*ggufc: fitted head \\(projection only, no block\\): \\d+ self-generated tokens, train loss [0-9.]+, agreement [0-9.]+ on \\d+ held-out tokens.*"), r.err());
                assertTrue(r.err().matches("(?s).*timings: speculative fitted: drafted \\d+, accepted [1-9]\\d*, .*"), "some drafts accepted: " + r.err());
            }
        }
        // on CPU sub-devices: the head reads no cache, only the split target's hidden rows
        for (String mode : List.of("layer", "tensor")) {
            CliTest.Run plain = SpeculativeCliTest.run("--device", "cpu:0,cpu:1", "--split-mode", mode);
            CliTest.Run r = SpeculativeCliTest.run("--device", "cpu:0,cpu:1", "--split-mode", mode, "--spec-type", "fitted");
            assertEquals(0, r.exit(), r.err());
            assertEquals(plain.out(), r.out(), "split " + mode);
        }
        CliTest.Run refused = CliTest.ggufc("run", "--model", Goldens.sharedModel("stories260K.gguf").toString(), "--prompt", "x", "--spec-type", "fitted", "--device", "opencl:0");
        assertTrue(refused.exit() != 0 && refused.err().contains("--spec-type fitted runs on the CPU"), refused.err());
        CliTest.Run tiny = CliTest.ggufc("run", "--model", Goldens.sharedModel("stories260K.gguf").toString(), "--prompt", "Hi", "-n", "1", "--ctx", "4", "--spec-type", "fitted");
        assertTrue(tiny.exit() != 0 && tiny.err().contains("a context of 4 tokens leaves no room for the text the head is fitted on (raise --ctx"), tiny.err());
    }

    /**
     * `ggufc compile --spec-type fitted` fits the head at compile time and stores its projection in the artifact (covered
     * by the manifest's checksums); `run --artifact --spec-type fitted` drafts with it, fitting nothing, and prints the plain
     * text; an artifact without one is refused in one line.
     */
    @Test
    void fittedHeadInAnArtifact(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws java.io.IOException {
        String model = Goldens.sharedModel("stories260K.gguf").toString();
        java.nio.file.Path out = dir.resolve("fitted"), plainArtifact = dir.resolve("plain");
        CliTest.Run c = CliTest.ggufc("compile", "-m", model, "-o", out.toString(), "--spec-type", "fitted", "--no-jvm-cache", "-t", "1");
        assertEquals(0, c.exit(), c.err());
        assertTrue(c.err().contains("fitted at compile time (projection only, no block)") && c.err().contains("its fitted head's draft step"), c.err());
        assertEquals(2L * 64 * 64 * 4, java.nio.file.Files.size(out.resolve(ggufc.runtime.artifact.Artifact.FITTED_PROJECTION)));
        CliTest.Run plain = SpeculativeCliTest.run();
        CliTest.Run r = CliTest.ggufc("run", "--artifact", out.toString(), "--prompt", "Once upon a time", "-n", "64", "--temp", "0", "-t", "1", "--spec-type", "fitted", "--timings");
        assertEquals(0, r.exit(), r.err());
        assertEquals(plain.out(), r.out());
        assertTrue(r.err().contains("ggufc: fitted head from the artifact") && !r.err().contains("self-generated tokens"), "nothing fitted at run time: " + r.err());
        assertTrue(r.err().matches("(?s).*timings: speculative fitted: drafted \\d+, accepted [1-9]\\d*, .*"), "some drafts accepted: " + r.err());
        // a tampered projection is refused by the manifest's checksum
        byte[] proj = java.nio.file.Files.readAllBytes(out.resolve(ggufc.runtime.artifact.Artifact.FITTED_PROJECTION));
        proj[100] ^= 1;
        java.nio.file.Files.write(out.resolve(ggufc.runtime.artifact.Artifact.FITTED_PROJECTION), proj);
        CliTest.Run tampered = CliTest.ggufc("run", "--artifact", out.toString(), "--prompt", "Once", "-n", "4", "--temp", "0", "--spec-type", "fitted");
        assertTrue(tampered.exit() != 0 && tampered.err().contains(ggufc.runtime.artifact.Artifact.FITTED_PROJECTION), tampered.err());
        assertEquals(0, CliTest.ggufc("compile", "-m", model, "-o", plainArtifact.toString(), "--all-logits", "--no-jvm-cache").exit());
        CliTest.Run none = CliTest.ggufc("run", "--artifact", plainArtifact.toString(), "--prompt", "Once", "-n", "4", "--temp", "0", "--spec-type", "fitted");
        assertTrue(none.exit() != 0 && none.err().contains("holds no fitted head: compile it with `ggufc compile --spec-type fitted`"), none.err());
    }

    /**
     * On held-out greedy text (prompts not among the fitting ones), the fitted head's first draft is the model's token
     * after next far more often than the early exit's after one layer, fed the same text. Observed on 2026-12-05: fitted
     * 0.529, early exit after 1 layer 0.000 (it never agrees on this text), the most frequent token 0.073; the assertions
     * leave a wide margin. The lifted draft graph on the vector plan (what the run loop drafts with) agrees as often as
     * the trainer's own arithmetic says.
     */
    @Test
    void fittedHeadAgreesFarMoreThanAnEarlyExit() {
        try (LoadedModel m = LoadedModel.open(Goldens.sharedModel("stories260K.gguf"), 0, DType.F32, true, LoadedModel.Backend.VECTOR, 1, "default")) {
            FittedHead.Fit fit = FittedHead.fitAtLoad(m.executor(), m.tokenizer(), m.file(), m.hparams());
            double early = 0, fitted = fit.heldOutAgreement(), frequent;
            int[] counts = new int[m.hparams().vocab()];
            FittedHead.Corpus train = FittedHead.generate(m.executor(), m.tokenizer(), FittedHead.TRAIN_PROMPTS, FittedHead.TRAIN_PER_PROMPT);
            for (int y : train.next()) counts[y]++;
            int mode = 0;
            for (int v = 1; v < counts.length; v++) if (counts[v] > counts[mode]) mode = v;
            FittedHead.Corpus held = FittedHead.generate(m.executor(), m.tokenizer(), FittedHead.HELD_OUT_PROMPTS, FittedHead.HELD_OUT_PER_PROMPT);
            int hits = 0;
            for (int y : held.next()) if (y == mode) hits++;
            frequent = (double) hits / held.size();
            int earlyHits = 0, earlyCount = 0;
            for (String prompt : FittedHead.HELD_OUT_PROMPTS) {
                Generator.Result g = m.generator().generate(prompt, FittedHead.HELD_OUT_PER_PROMPT, GREEDY, true, x -> {});
                int[] text = Arrays.copyOf(g.promptTokens(), g.promptTokens().length + g.generated().length);
                System.arraycopy(g.generated(), 0, text, g.promptTokens().length, g.generated().length);
                boolean[] agree = EarlyExitTuner.agreement(m.earlyExitDraft(1), text);
                m.executor().reset();
                // the drafts that follow a generated token (the fitted head's samples start there)
                for (int q = g.promptTokens().length; q < agree.length; q++) {
                    earlyCount++;
                    if (agree[q]) earlyHits++;
                }
            }
            early = (double) earlyHits / earlyCount;
            String what = "fitted " + fitted + " (train loss " + fit.trainLoss() + "), early exit after 1 layer " + early + ", most frequent token " + frequent;
            System.out.println(what);
            assertTrue(fitted > early + 0.3, what);
            assertTrue(fitted > frequent + 0.3, what);
            // the draft step the run loop uses (the lifted graph through the vector pipeline) on the same held-out samples
            int graphHits = 0;
            try (var step = m.fittedStep(fit.proj())) {
                for (int s = 0; s < held.size(); s++) {
                    if (ggufc.runtime.Sampler.argmax(step.run(held.token()[s], held.hidden()[s], 1).logits()) == held.next()[s]) graphHits++;
                }
            }
            double graph = (double) graphHits / held.size();
            assertEquals(fitted, graph, 0.01, "the draft graph and the trainer's arithmetic: " + what);
        }
    }
}
