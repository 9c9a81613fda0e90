package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.gguf.GgufFile;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.lift.GgufWeights;
import ggufc.lift.LlamaLifter;
import ggufc.runtime.Generator;
import ggufc.runtime.SamplerOptions;
import ggufc.runtime.device.DeviceExecutor;
import ggufc.runtime.device.OpenClDevice;
import ggufc.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole model on OpenCL (PoCL on this machine's CPU): for stories260K in F32 and in llama.cpp's
 * Q8_0 quantization (Q8_0 blocks, F16 ffn_down), the last-position logits of every golden prompt
 * against llama.cpp's, and 64-token greedy continuations, token for token. Tolerances as
 * {@link LlamaParityTest} (the kernels accumulate in f32, in a different order than llama.cpp).
 */
class OpenClParityTest {
    record Variant(String name, Path file, String goldenDir, double tolerance) {
        @Override
        public String toString() { return name; }
    }

    static List<Variant> variants() {
        return List.of(new Variant("F32", Goldens.sharedModel("stories260K.gguf"), "stories260K", 1e-4),
                new Variant("Q8_0", Goldens.root().resolve("models/stories260K-Q8_0.gguf"), "stories260K-Q8_0", 0.25));
    }

    static OpenClDevice device;

    @BeforeAll
    static void open() { device = OpenClDevice.open(0); }

    @AfterAll
    static void close() { device.close(); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void greedyAndLogitsMatchLlamaCpp(Variant v) {
        try (GgufFile f = GgufFile.open(v.file())) {
            Graph g = LlamaLifter.lift(f, new LlamaLifter.Options(256, false, DType.F32));
            try (DeviceExecutor ex = new DeviceExecutor(g, new GgufWeights(f), 256, 64, device, false)) {
                Tokenizer tok = Tokenizer.fromGguf(f);
                for (int p = 1; p <= Goldens.prompts().size(); p++) {
                    Goldens.Logits golden = Goldens.Logits.read(Goldens.root().resolve(v.goldenDir()).resolve("p" + p + ".logits.bin"));
                    ex.reset();
                    float[] logits = ex.step(golden.tokens(), 0);
                    float[] want = golden.rows()[golden.rows().length - 1];
                    double worst = 0;
                    for (int j = 0; j < want.length; j++) worst = Math.max(worst, Math.abs(logits[j] - want[j]));
                    System.out.printf("opencl %s prompt %d: max |logit diff| vs llama.cpp = %.3g%n", v, p, worst);
                    assertTrue(worst <= v.tolerance(), v + " prompt " + p + ": max |logit diff| " + worst);

                    Goldens.Greedy greedy = Goldens.Greedy.read(Goldens.root().resolve(v.goldenDir()).resolve("p" + p + ".greedy.json"));
                    Generator.Result r = new Generator(ex, tok).generate(greedy.promptIds(), greedy.genIds().length, SamplerOptions.greedy(), true, s -> {});
                    assertArrayEquals(greedy.genIds(), r.generated(), v + " prompt " + p + ": greedy continuation on OpenCL");
                }
            }
        }
    }
}
