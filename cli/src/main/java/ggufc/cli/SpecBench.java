package ggufc.cli;

import ggufc.codegen.vector.kernels.Vec;
import ggufc.ir.DType;
import ggufc.runtime.Generator;
import ggufc.runtime.LoadedModel;
import ggufc.runtime.SamplerOptions;
import ggufc.runtime.StepExecutor;
import ggufc.runtime.spec.EarlyExitDrafter;
import ggufc.runtime.spec.EarlyExitTuner;
import ggufc.runtime.spec.NgramDrafter;
import ggufc.runtime.spec.Speculation;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ggufc bench --spec-type early-exit}: speculative against plain greedy decoding in one warm process
 * (vector backend), and the early exit's layer and draft length chosen by measurement ({@link EarlyExitTuner}):
 * every candidate layer's agreement with the model on its own greedy continuation of the prompt, the cost of
 * its draft step and of verify steps of 1 .. D + 1 tokens, the loop replayed for every (K, D), and the best
 * predicted pair then run for real beside plain decoding, the default early exit and n-gram drafting,
 * alternating, medians; every speculative text is checked equal to plain decoding's.
 */
final class SpecBench {
    private final int decode, reps, maxDraft;
    private final double warmupSeconds;
    private final String prompt;
    private final PrintStream out;

    SpecBench(String prompt, int decode, int reps, int maxDraft, double warmupSeconds, PrintStream out) {
        if (maxDraft < 1 || maxDraft > 16) throw new IllegalArgumentException("--draft-max must be in 1..16 for the bench, got " + maxDraft);
        this.prompt = prompt;
        this.decode = decode;
        this.reps = reps;
        this.maxDraft = maxDraft;
        this.warmupSeconds = warmupSeconds;
        this.out = out;
    }

    void header(List<Path> models, List<Integer> threads) {
        out.printf("# ggufc bench --spec-type early-exit, %s%n%n", Instant.now().truncatedTo(ChronoUnit.SECONDS));
        out.printf("- machine: %s, %d cores; load average at start %s%n", BenchCommand.cpuModel(), Runtime.getRuntime().availableProcessors(), BenchCommand.loadAverage());
        out.printf("- java %s, %s; vector backend, one process per model and thread count, every position's logits%n", System.getProperty("java.version"), Vec.describe());
        out.printf(Locale.ROOT, "- prompt \"%s\", %d greedy tokens (EOS ignored); warm-up: plain runs for %.0f s; then the tuning (below) and %d rounds alternating "
                + "the configurations, medians of decode tok/s (the decode phase's tokens over its time: plain's first token comes from the prompt step, "
                + "speculative decoding's first verify step runs the prompt's last token)%n", prompt, decode, warmupSeconds, reps);
        out.printf("- tuning: each candidate layer K's agreement bits on the model's own greedy continuation (%d + %d tokens; a draft is accepted exactly when "
                + "it picks that text's next token), the loop replayed on them for D = 1 .. %d, and warm step costs: a 1-token decode step, verify steps of "
                + "T tokens, each K's draft step (five rounds over them all, at least 0.1 s each, ratios to the round's 1-token step, medians)%n%n", decode, maxDraft, maxDraft);
    }

    void run(Path model, int threads) {
        int ctx = promptTokensBound() + decode + maxDraft + 8;
        SamplerOptions greedy = new SamplerOptions(0, 40, 0.95, 42);
        try (LoadedModel m = LoadedModel.open(model, ctx, DType.F32, true, LoadedModel.Backend.VECTOR, threads, "default")) {
            String name = model.getFileName().toString();
            int nLayer = m.hparams().nLayer();
            EarlyExitTuner.Tuning tn = EarlyExitTuner.tune(m, prompt, decode, maxDraft, warmupSeconds, ctx, msg -> progress("%s, %d thread(s): %s", name, threads, msg));
            Generator gen = m.generator();
            int promptLen = tn.promptLength();
            List<Integer> layers = tn.layers();
            Map<Integer, StepExecutor> drafts = tn.drafts();
            Map<Integer, boolean[]> agree = tn.agreement();
            double t1 = tn.stepNanos();
            double[] verify = tn.verifyCost();
            Map<Integer, Double> draftCost = tn.draftCost();

            out.printf(Locale.ROOT, "## %s, %d thread%s%n%n", name, threads, threads == 1 ? "" : "s");
            out.printf(Locale.ROOT, "Warm step costs (1-token decode step %.1f µs):%n%n| verify step of T tokens | ", t1 / 1e3);
            for (int t = 1; t <= maxDraft + 1; t++) out.printf("T = %d | ", t);
            out.printf("%n| --- |%s%n| × 1-token step | ", " ---: |".repeat(maxDraft + 1));
            for (int t = 1; t <= maxDraft + 1; t++) out.printf(Locale.ROOT, "%.2f | ", verify[t]);
            // a drafter that costs nothing and is always right makes D + 1 tokens per verify step of D + 1
            double perfect = 0;
            int perfectT = 1;
            for (int t = 1; t <= maxDraft + 1; t++) if (t / verify[t] > perfect) { perfect = t / verify[t]; perfectT = t; }
            out.printf(Locale.ROOT, "%n%nCeiling for any drafter (free and always right): %.2f× plain decoding, at verify steps of %d tokens.%n", perfect, perfectT);
            double[] freeVerify = new double[maxDraft + 2];
            Arrays.fill(freeVerify, 1);
            out.printf("%n| draft after layer K of %d | agreement on the continuation | draft step × 1-token step | predicted speedup, D = 1 .. %d | best D | ceiling if verify steps cost one step |%n", nLayer, maxDraft);
            out.println("| ---: | ---: | ---: | --- | ---: | ---: |");
            int bestK = tn.bestLayer(), bestD = tn.bestDraftMax();
            double best = tn.predicted();
            for (int k : layers) {
                boolean[] a = agree.get(k);
                int yes = 0;
                for (int q = promptLen - 1; q < a.length; q++) if (a[q]) yes++;
                List<String> row = new ArrayList<>();
                double rowBest = -1, ceiling = 0;
                int rowD = 1;
                for (int dmax = 1; dmax <= maxDraft; dmax++) {
                    EarlyExitTuner.Replay rp = tn.replay(k, dmax);
                    double s = rp.speedup(draftCost.get(k), verify);
                    ceiling = Math.max(ceiling, rp.speedup(draftCost.get(k), freeVerify));
                    row.add(String.format(Locale.ROOT, "%.2f", s));
                    if (s > rowBest) { rowBest = s; rowD = dmax; }
                }
                out.printf(Locale.ROOT, "| %d | %.3f | %.2f | %s | %d | %.2f× |%n", k, (double) yes / (a.length - promptLen + 1), draftCost.get(k), String.join(" ", row), rowD, ceiling);
            }
            EarlyExitTuner.Replay predicted = tn.replay(bestK, bestD);
            out.printf(Locale.ROOT, "%nChosen: `--draft-layer %d --draft-max %d`, predicted %.2f× plain decoding (acceptance %.3f, %.2f tokens per target step)%s.%n%n",
                    bestK, bestD, best, predicted.acceptance(), predicted.tokensPerTargetStep(), best < 1 ? "; no early exit pays on this model here" : "");

            int defaultK = m.draftLayer(-1);
            StepExecutor defaultDraft = drafts.get(defaultK); // the tuning measures the default layer too
            Map<String, Speculation> configs = new LinkedHashMap<>();
            configs.put("plain", null);
            configs.put("early-exit --draft-layer " + bestK + " --draft-max " + bestD + " (chosen)", new Speculation(new EarlyExitDrafter(drafts.get(bestK), 0), bestD, 0));
            if (defaultK != bestK || bestD != Speculation.DRAFT_MAX) {
                configs.put("early-exit --draft-layer " + defaultK + " --draft-max " + Speculation.DRAFT_MAX + " (defaults)",
                        new Speculation(new EarlyExitDrafter(defaultDraft, 0), Speculation.DRAFT_MAX, 0));
            }
            configs.put("ngram --draft-max " + Speculation.DRAFT_MAX, new Speculation(new NgramDrafter(), Speculation.DRAFT_MAX, 0));
            Map<String, List<Double>> tps = new LinkedHashMap<>();
            Map<String, Generator.Result> last = new LinkedHashMap<>();
            String plainText = null;
            for (int round = 0; round < reps; round++) {
                progress("%s, %d thread(s): round %d of %d", name, threads, round + 1, reps);
                for (Map.Entry<String, Speculation> c : configs.entrySet()) {
                    Generator.Result r = gen.generate(prompt, decode, greedy, true, x -> {}, c.getValue());
                    if (plainText == null) plainText = r.text();
                    if (!plainText.equals(r.text())) throw new IllegalStateException(name + ": " + c.getKey() + " gave another text than plain decoding");
                    tps.computeIfAbsent(c.getKey(), x -> new ArrayList<>()).add(r.decodeTokensPerSecond());
                    last.put(c.getKey(), r);
                }
            }
            double base = median(tps.get("plain"));
            out.println("| configuration | decode tok/s | vs plain | acceptance | tokens per target step | predicted vs plain | same text as plain |");
            out.println("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
            for (String c : configs.keySet()) {
                Generator.Result r = last.get(c);
                double med = median(tps.get(c));
                String pred = "";
                if (c.startsWith("early-exit")) {
                    int k = c.contains("(chosen)") ? bestK : defaultK, dmax = c.contains("(chosen)") ? bestD : Speculation.DRAFT_MAX;
                    EarlyExitTuner.Replay p = tn.replay(k, dmax);
                    pred = String.format(Locale.ROOT, "%.2f× (acceptance %.3f, %.2f)", p.speedup(draftCost.get(k), verify), p.acceptance(), p.tokensPerTargetStep());
                }
                out.printf(Locale.ROOT, "| %s | %.1f | %.2f× | %s | %s | %s | yes |%n", c, med, med / base, c.equals("plain") ? "" : String.format(Locale.ROOT, "%.3f", r.acceptance()),
                        c.equals("plain") ? "1" : String.format(Locale.ROOT, "%.2f", r.tokensPerTargetStep()), pred);
            }
            out.printf("%n- load average at end %s%n%n", BenchCommand.loadAverage());
            out.flush();
        }
    }

    private int promptTokensBound() { return prompt.length() + 2; }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static void progress(String fmt, Object... args) {
        System.err.printf("ggufc bench: " + fmt + "%n", args);
    }
}
