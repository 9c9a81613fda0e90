package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.gguf.GgmlType;
import ggufc.ir.DType;
import ggufc.runtime.Generator;
import ggufc.runtime.LoadedModel;
import ggufc.runtime.SamplerOptions;
import ggufc.runtime.spec.Drafter;
import ggufc.runtime.spec.EarlyExitDrafter;
import ggufc.runtime.spec.NgramDrafter;
import ggufc.runtime.spec.Speculation;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Speculative greedy decoding gives exactly plain greedy decoding's tokens (the independent truth,
 * itself checked against llama.cpp by the parity tests): over models (stories260K and the synthetic
 * tiny models of several architectures), prompts, lengths, draft lengths and drafters, a random one
 * (nearly every draft rejected, its KV rows left behind as garbage) included.
 */
class SpeculativeProperties {
    /** Model key: "stories260K" or an architecture of {@link ArchModels} (F32). */
    static final List<String> MODELS = List.of("stories260K", "qwen2", "qwen3", "phi3", "gemma2", "gemma3", "qwen3moe", "gemma4");
    /** Models whose graphs insert-draft-head takes (llama-family heads: matmul(rms_norm(x), W)). */
    static final List<String> EARLY_EXIT = List.of("stories260K", "qwen2", "qwen3", "qwen3moe");
    private static final int CTX = 96;
    private static final Map<String, LoadedModel[]> open = new ConcurrentHashMap<>();

    static Path path(String model) {
        return model.equals("stories260K") ? Goldens.sharedModel("stories260K.gguf") : ArchModels.file(model, GgmlType.F32);
    }

    /** [plain: last row's logits only, speculative: every row's], vector backend or interpreter. */
    static LoadedModel[] models(String model, boolean interpreter) {
        return open.computeIfAbsent(model + interpreter, k -> {
            LoadedModel.Backend be = interpreter ? LoadedModel.Backend.INTERPRETER : LoadedModel.Backend.VECTOR;
            return new LoadedModel[] {LoadedModel.open(path(model), CTX, DType.F32, false, be, 1, "default"),
                    LoadedModel.open(path(model), CTX, DType.F32, true, be, 1, "default")};
        });
    }

    @AfterContainer
    static void close() {
        for (LoadedModel[] ms : open.values()) for (LoadedModel m : ms) m.close();
        open.clear();
    }

    /** Proposes random tokens: a deliberately wrong drafter. */
    record RandomDrafter(int vocab, SplittableRandom rnd) implements Drafter {
        @Override
        public int[] draft(int[] history, int pos, int max) {
            int[] d = new int[max];
            for (int i = 0; i < max; i++) d[i] = rnd.nextInt(vocab);
            return d;
        }
    }

    static Drafter drafter(String kind, LoadedModel m, long seed) {
        return switch (kind) {
            case "ngram" -> new NgramDrafter();
            case "ngram-simple" -> new ggufc.runtime.spec.NgramSimpleDrafter(1 + (int) Math.floorMod(seed, 2L), 2 + (int) Math.floorMod(seed, 7L));
            case "random" -> new RandomDrafter(m.hparams().vocab(), new SplittableRandom(seed));
            case "early-exit" -> new EarlyExitDrafter(m.earlyExitDraft(-1), 0);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    static int[] prompt(LoadedModel m, List<Integer> ids) {
        int[] p = new int[ids.size() + 1];
        p[0] = m.tokenizer().bos() >= 0 ? m.tokenizer().bos() : 1;
        for (int i = 0; i < ids.size(); i++) p[i + 1] = ids.get(i) % m.hparams().vocab();
        return p;
    }

    static Generator.Result[] both(String model, boolean interpreter, int[] prompt, int n, String kind, int draftMax, int draftMin, long seed) {
        LoadedModel[] ms = models(model, interpreter);
        SamplerOptions greedy = new SamplerOptions(0, 40, 0.95, 42);
        Generator.Result plain = ms[0].generator().generate(prompt, n, greedy, true, s -> {});
        Generator.Result spec = ms[1].generator().generate(prompt, n, greedy, true, s -> {},
                new Speculation(drafter(kind, ms[1], seed), draftMax, draftMin));
        return new Generator.Result[] {plain, spec};
    }

    static void check(String model, boolean interpreter, int[] prompt, int n, String kind, int draftMax, int draftMin, long seed) {
        Generator.Result[] r = both(model, interpreter, prompt, n, kind, draftMax, draftMin, seed);
        assertArrayEquals(r[0].generated(), r[1].generated(), () -> model + " " + kind + " draft-max " + draftMax + " prompt " + Arrays.toString(prompt)
                + ": speculative " + Arrays.toString(r[1].generated()) + " vs plain " + Arrays.toString(r[0].generated()));
        assertEquals(r[0].text(), r[1].text());
        assertTrue(r[1].accepted() <= r[1].drafted());
    }

    @Provide
    Arbitrary<String> drafters() { return Arbitraries.of("ngram", "ngram-simple", "random", "early-exit"); }

    @Provide
    Arbitrary<String> models() { return Arbitraries.of(MODELS); }

    @Provide
    Arbitrary<List<Integer>> prompts() {
        // small alphabets repeat: the n-gram drafter then finds matches
        return Arbitraries.integers().between(0, 1 << 20).list().ofMinSize(0).ofMaxSize(12)
                .flatMap(l -> Arbitraries.of(l, l.stream().map(x -> 3 + x % 6).toList()));
    }

    @Property(tries = 60)
    void speculativeGreedyIsPlainGreedy(@ForAll("models") String model, @ForAll("prompts") List<Integer> ids, @ForAll @IntRange(min = 1, max = 40) int n,
                                        @ForAll("drafters") String kind, @ForAll @IntRange(min = 1, max = 10) int draftMax,
                                        @ForAll @IntRange(min = 0, max = 2) int draftMin, @ForAll long seed) {
        if (kind.equals("early-exit") && !EARLY_EXIT.contains(model)) kind = "random";
        LoadedModel m = models(model, false)[1];
        check(model, false, prompt(m, ids), n, kind, draftMax, Math.min(draftMin, draftMax), seed);
    }

    @Property(tries = 8)
    void onTheInterpreterToo(@ForAll("prompts") List<Integer> ids, @ForAll @IntRange(min = 1, max = 24) int n, @ForAll("drafters") String kind,
                             @ForAll @IntRange(min = 1, max = 8) int draftMax, @ForAll long seed) {
        check("stories260K", true, prompt(models("stories260K", true)[1], ids), n, kind, draftMax, 0, seed);
    }

    /**
     * Random drafts are rejected (almost) always, and each rejected one leaves its K/V rows at
     * positions past the new position: the next steps must overwrite them before reading. A long
     * draft over a long generation leaves many; the text is still plain decoding's.
     */
    @Example
    void rejectedDraftsLeaveGarbageRowsAndTheTextIsTheSame() {
        for (String model : List.of("stories260K", "qwen3", "gemma3")) {
            LoadedModel m = models(model, false)[1];
            int[] p = m.tokenizer().encode("Once upon a time", true, false);
            Generator.Result[] r = both(model, false, p, 60, "random", 12, 0, 7);
            assertArrayEquals(r[0].generated(), r[1].generated(), model);
            assertTrue(r[1].drafted() - r[1].accepted() > 200, model + ": " + r[1].drafted() + " drafted, " + r[1].accepted() + " accepted");
        }
    }

    /** The early exit shares the first layers' caches with the target: its writes are overwritten by the verify step, also over a long run. */
    @Example
    void earlyExitOnStoriesIsPlainGreedy() {
        for (int draftMax : new int[] {1, 3, 8, 16}) {
            LoadedModel m = models("stories260K", false)[1];
            Generator.Result[] r = both("stories260K", false, m.tokenizer().encode("Once upon a time", true, false), 80, "early-exit", draftMax, 0, 0);
            assertArrayEquals(r[0].generated(), r[1].generated(), "draft-max " + draftMax);
            assertTrue(r[1].drafted() > 0);
        }
    }

    /** Architectures whose head insert-draft-head does not take are refused in one line, not miscompiled. */
    @Example
    void earlyExitRefusesOtherHeads() {
        LoadedModel m = models("gemma2", false)[1];
        RuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class, () -> m.earlyExitDraft(-1));
        assertTrue(e.getMessage().contains("llama-family"), e.getMessage());
    }

    /**
     * Speculative sampling keeps the target's distribution: the 2nd and 3rd of 4 generated tokens
     * (temperature 1, no top-k / top-p; the 1st comes from the prompt step alone) over 2,000 seeds of
     * plain sampling and of speculative sampling with a random drafter (drafts almost always rejected:
     * the residual draw) and with the early exit after 4 of 5 layers (drafts often accepted), compared
     * by a two-sample chi-square test at p = 1e-4 (bins of fewer than 10 draws pooled).
     */
    @Example
    void speculativeSamplingKeepsTheTargetDistribution() {
        LoadedModel[] ms = models("stories260K", false);
        int[] p = ms[1].tokenizer().encode("Once upon a time", true, false);
        int runs = 2000;
        int[][] plain = new int[runs][];
        for (int i = 0; i < runs; i++) plain[i] = ms[0].generator().generate(p, 4, new SamplerOptions(1.0, 0, 1.0, i), true, s -> {}).generated();
        for (String kind : List.of("random", "early-exit")) {
            int[][] spec = new int[runs][];
            long drafted = 0, accepted = 0;
            for (int i = 0; i < runs; i++) {
                Drafter d = kind.equals("random") ? drafter("random", ms[1], i) : new EarlyExitDrafter(ms[1].earlyExitDraft(4), 0);
                Generator.Result r = ms[1].generator().generate(p, 4, new SamplerOptions(1.0, 0, 1.0, 1_000_000 + i), true, s -> {}, new Speculation(d, 2, 0));
                spec[i] = r.generated();
                drafted += r.drafted();
                accepted += r.accepted();
            }
            assertTrue(drafted > runs, kind + " drafted " + drafted);
            if (kind.equals("early-exit")) assertTrue(accepted > runs / 4, "early-exit accepted only " + accepted + " of " + drafted);
            for (int at = 1; at <= 2; at++) {
                double[] chi = chiSquare(column(plain, at), column(spec, at));
                assertTrue(chi[0] < chi[1], kind + ", token " + (at + 1) + ": chi-square " + chi[0] + " > " + chi[1] + " (p = 1e-4): speculative sampling changed the distribution");
            }
        }
    }

    static int[] column(int[][] rows, int at) { return Arrays.stream(rows).mapToInt(r -> r[at]).toArray(); }

    /** {statistic, critical value at p = 1e-4} of the two-sample chi-square test of equal-sized samples a and b. */
    static double[] chiSquare(int[] a, int[] b) {
        Map<Integer, int[]> counts = new java.util.TreeMap<>();
        for (int x : a) counts.computeIfAbsent(x, k -> new int[2])[0]++;
        for (int x : b) counts.computeIfAbsent(x, k -> new int[2])[1]++;
        double stat = 0;
        int bins = 0, ra = 0, rb = 0;
        for (int[] c : counts.values()) {
            if (c[0] + c[1] < 10) {
                ra += c[0];
                rb += c[1];
                continue;
            }
            stat += Math.pow(c[0] - c[1], 2) / (c[0] + c[1]);
            bins++;
        }
        if (ra + rb > 0) {
            stat += Math.pow(ra - rb, 2) / (ra + rb);
            bins++;
        }
        int df = Math.max(1, bins - 1);
        double z = 3.719, h = 2.0 / (9 * df);
        return new double[] {stat, df * Math.pow(1 - h + z * Math.sqrt(h), 3)};
    }
}
