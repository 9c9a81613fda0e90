package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.ir.DType;
import ggufc.ir.interp.Value;
import ggufc.runtime.Generator;
import ggufc.runtime.InterpreterExecutor;
import ggufc.runtime.LoadedModel;
import ggufc.runtime.SamplerOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Parity with llama.cpp on stories260K and its quantized variants: token ids, logits at every
 * prompt position, and 64-token greedy continuations, against goldens from the reference.
 *
 * <p>Tolerances (max |ours - llama.cpp| over every logit of every position):
 * <ul>
 * <li>F32 files: 1e-4, as the issue asks. Both sides compute in f32; only summation order differs.
 * <li>F16 weights: llama.cpp rounds the activations to f16 before each matmul (vec_dot_type of
 *     F16 is F16); we multiply f32 activations with the f16 weights. Relative rounding of 2^-11 per
 *     activation, summed over 64-172 terms and 5 layers: the measured gap is below 0.05.
 * <li>Q8_0/Q5_0/Q4_0 weights: llama.cpp quantizes activations to Q8_0 blocks (error up to
 *     max|x|/254 per element) before the integer dot product; we use f32 activations with the
 *     dequantized weights, which is the more accurate of the two. Bound: 0.25 on logits of
 *     magnitude ~20, i.e. ~1% — the measured gaps are listed in the README.
 * </ul>
 * Greedy continuations must be identical in every case.
 */
class LlamaParityTest {

    /**
     * The Q8_0 tolerance against the F32 model, taken from llama.cpp itself: the largest gap between
     * llama.cpp's logits on its own Q8_0 quantization of stories260K and on the F32 file, over all
     * golden prompts (0.43 today). A Q8_0 file within that of the F32 goldens is as faithful as
     * llama.cpp's own Q8_0.
     */
    static double q8VsF32Tolerance() {
        double worst = 0;
        for (int p = 1; p <= Goldens.prompts().size(); p++) {
            Goldens.Logits f32 = Goldens.Logits.read(Goldens.root().resolve("stories260K/p" + p + ".logits.bin"));
            Goldens.Logits q8 = Goldens.Logits.read(Goldens.root().resolve("stories260K-Q8_0/p" + p + ".logits.bin"));
            for (int r = 0; r < f32.rows().length; r++)
                for (int j = 0; j < f32.vocab(); j++) worst = Math.max(worst, Math.abs(f32.rows()[r][j] - q8.rows()[r][j]));
        }
        return worst;
    }

    record Variant(String name, Path file, String goldenDir, double tolerance) {
        @Override
        public String toString() { return name; }
    }

    static List<Variant> variants() {
        Path q = Goldens.root().resolve("models");
        return List.of(
                new Variant("F32 v3 (stories260K.gguf)", Goldens.sharedModel("stories260K.gguf"), "stories260K", 1e-4),
                new Variant("F32 v1 (tinyllamas-stories-260k-f32.gguf)", Goldens.sharedModel("tinyllamas-stories-260k-f32.gguf"), "stories260K", 1e-4),
                new Variant("F16", q.resolve("stories260K-F16.gguf"), "stories260K-F16", 0.05),
                new Variant("Q8_0", q.resolve("stories260K-Q8_0.gguf"), "stories260K-Q8_0", 0.25),
                new Variant("Q5_0", q.resolve("stories260K-Q5_0.gguf"), "stories260K-Q5_0", 0.25),
                new Variant("Q4_0", q.resolve("stories260K-Q4_0.gguf"), "stories260K-Q4_0", 0.25));
    }

    /** The shipped flat-block Q8_0 v2 file, which llama.cpp refuses, against the F32 goldens. */
    static Stream<Arguments> shippedQ8Cases() {
        Variant v = new Variant("Q8_0 v2 flat blocks (tinyllamas-stories-260k-q8_0.gguf) vs F32 goldens",
                Goldens.sharedModel("tinyllamas-stories-260k-q8_0.gguf"), "stories260K", q8VsF32Tolerance());
        return java.util.stream.IntStream.rangeClosed(1, Goldens.prompts().size()).mapToObj(p -> Arguments.of(v, p));
    }

    @ParameterizedTest(name = "{0} prompt {1}")
    @MethodSource("shippedQ8Cases")
    void shippedFlatQ8FileStaysWithinQ8ToleranceOfF32(Variant v, int prompt) {
        tokensAndLogitsMatchLlamaCpp(v, prompt);
    }

    static Stream<Arguments> cases() {
        List<Arguments> r = new ArrayList<>();
        for (Variant v : variants()) {
            for (int p = 1; p <= Goldens.prompts().size(); p++) r.add(Arguments.of(v, p));
        }
        return r.stream();
    }

    @ParameterizedTest(name = "{0} prompt {1}")
    @MethodSource("cases")
    void tokensAndLogitsMatchLlamaCpp(Variant v, int prompt) {
        String text = Goldens.prompts().get(prompt - 1);
        Goldens.Logits golden = Goldens.Logits.read(Goldens.root().resolve(v.goldenDir()).resolve("p" + prompt + ".logits.bin"));
        try (LoadedModel m = LoadedModel.open(v.file(), 256, DType.F32, true)) {
            int[] ids = m.tokenizer().encode(text, true, false);
            assertArrayEquals(golden.tokens(), ids, "token ids of \"" + text + "\"");
            Value logits = ((InterpreterExecutor) m.executor()).run(ids, 0).get("logits");
            float[] all = logits.f32();
            double worst = 0;
            int worstRow = -1;
            for (int r = 0; r < golden.rows().length; r++) {
                int pos = golden.rowPositions()[r];
                for (int j = 0; j < golden.vocab(); j++) {
                    double d = Math.abs(all[pos * golden.vocab() + j] - golden.rows()[r][j]);
                    if (!(d <= worst)) {
                        worst = d;
                        worstRow = pos;
                    }
                }
            }
            System.out.printf("parity %-45s prompt %d: max |logit diff| = %.3g%n", v, prompt, worst);
            assertTrue(worst <= v.tolerance(), String.format("%s prompt %d: max |logit diff| %.3g at position %d exceeds %.3g", v, prompt, worst, worstRow, v.tolerance()));
        }
    }

    @ParameterizedTest(name = "{0} prompt {1}")
    @MethodSource("cases")
    void greedy64MatchesLlamaCpp(Variant v, int prompt) {
        Goldens.Greedy golden = Goldens.Greedy.read(Goldens.root().resolve(v.goldenDir()).resolve("p" + prompt + ".greedy.json"));
        try (LoadedModel m = LoadedModel.open(v.file(), 256, DType.F32, false)) {
            Generator.Result r = m.generator().generate(golden.promptIds(), golden.genIds().length, SamplerOptions.greedy(), true, s -> {});
            assertArrayEquals(golden.genIds(), r.generated(), v + " prompt " + prompt + ": greedy continuation");
        }
    }
}
