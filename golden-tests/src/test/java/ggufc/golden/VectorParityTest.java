package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.ir.DType;
import ggufc.runtime.Generator;
import ggufc.runtime.LoadedModel;
import ggufc.runtime.SamplerOptions;
import ggufc.runtime.VectorExecutor;
import ggufc.runtime.artifact.Artifact;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The vector target against llama.cpp on stories260K and its quantized variants, with the same
 * goldens and tolerances as {@link LlamaParityTest}: the in-memory plan (logits of every prompt
 * position, 64-token greedy continuations) and the AOT artifact made by {@link Artifact#compile}
 * and loaded without compiling anything (last-position logits and greedy continuations), each on
 * two worker threads.
 */
class VectorParityTest {
    @TempDir
    static Path artifacts;

    static final Map<String, Path> compiled = new HashMap<>();

    @BeforeAll
    static void compileArtifacts() {
        for (LlamaParityTest.Variant v : LlamaParityTest.variants()) {
            Path out = artifacts.resolve(v.goldenDir() + "-" + compiled.size());
            Artifact.compile(v.file(), out, new Artifact.Options(256, DType.F32, 64, 2), Artifact.Pipeline.NONE, (i, s) -> {});
            compiled.put(v.name(), out);
        }
    }

    @AfterAll
    static void clear() { compiled.clear(); }

    static Stream<Arguments> cases() { return LlamaParityTest.cases(); }

    static double maxDiff(float[] ours, float[] golden) {
        double worst = 0;
        for (int j = 0; j < golden.length; j++) {
            double d = Math.abs(ours[j] - golden[j]);
            if (!(d <= worst)) worst = d;
        }
        return worst;
    }

    @ParameterizedTest(name = "{0} prompt {1}")
    @MethodSource("cases")
    void planLogitsMatchLlamaCpp(LlamaParityTest.Variant v, int prompt) {
        String text = Goldens.prompts().get(prompt - 1);
        Goldens.Logits golden = Goldens.Logits.read(Goldens.root().resolve(v.goldenDir()).resolve("p" + prompt + ".logits.bin"));
        try (LoadedModel m = LoadedModel.open(v.file(), 256, DType.F32, true, LoadedModel.Backend.VECTOR, 2)) {
            int[] ids = m.tokenizer().encode(text, true, false);
            assertArrayEquals(golden.tokens(), ids);
            float[][] rows = ((VectorExecutor) m.executor()).run(ids, 0, true);
            double worst = 0;
            for (int r = 0; r < golden.rows().length; r++) worst = Math.max(worst, maxDiff(rows[golden.rowPositions()[r]], golden.rows()[r]));
            System.out.printf("vector parity %-45s prompt %d: max |logit diff| = %.3g%n", v, prompt, worst);
            assertTrue(worst <= v.tolerance(), String.format("%s prompt %d: max |logit diff| %.3g exceeds %.3g", v, prompt, worst, v.tolerance()));
        }
    }

    @ParameterizedTest(name = "{0} prompt {1}")
    @MethodSource("cases")
    void planGreedy64MatchesLlamaCpp(LlamaParityTest.Variant v, int prompt) {
        Goldens.Greedy golden = Goldens.Greedy.read(Goldens.root().resolve(v.goldenDir()).resolve("p" + prompt + ".greedy.json"));
        try (LoadedModel m = LoadedModel.open(v.file(), 256, DType.F32, false, LoadedModel.Backend.VECTOR, 2)) {
            Generator.Result r = m.generator().generate(golden.promptIds(), golden.genIds().length, SamplerOptions.greedy(), true, s -> {});
            assertArrayEquals(golden.genIds(), r.generated(), v + " prompt " + prompt + ": greedy continuation");
        }
    }

    @ParameterizedTest(name = "{0} prompt {1}")
    @MethodSource("cases")
    void artifactMatchesLlamaCpp(LlamaParityTest.Variant v, int prompt) {
        String text = Goldens.prompts().get(prompt - 1);
        Goldens.Logits logits = Goldens.Logits.read(Goldens.root().resolve(v.goldenDir()).resolve("p" + prompt + ".logits.bin"));
        Goldens.Greedy greedy = Goldens.Greedy.read(Goldens.root().resolve(v.goldenDir()).resolve("p" + prompt + ".greedy.json"));
        try (LoadedModel m = LoadedModel.openArtifact(compiled.get(v.name()), v.file(), 0, 2)) {
            int[] ids = m.tokenizer().encode(text, true, false);
            float[] last = m.executor().step(ids, 0);
            int lastRow = logits.rows().length - 1;
            assertTrue(logits.rowPositions()[lastRow] == ids.length - 1, "golden has the last position");
            double worst = maxDiff(last, logits.rows()[lastRow]);
            System.out.printf("artifact parity %-45s prompt %d: last-position max |logit diff| = %.3g%n", v, prompt, worst);
            assertTrue(worst <= v.tolerance(), String.format("%s prompt %d: max |logit diff| %.3g exceeds %.3g", v, prompt, worst, v.tolerance()));
            Generator.Result r = m.generator().generate(greedy.promptIds(), greedy.genIds().length, SamplerOptions.greedy(), true, s -> {});
            assertArrayEquals(greedy.genIds(), r.generated(), v + " prompt " + prompt + ": greedy continuation");
        }
    }

    static List<LlamaParityTest.Variant> variants() { return LlamaParityTest.variants(); }
}
