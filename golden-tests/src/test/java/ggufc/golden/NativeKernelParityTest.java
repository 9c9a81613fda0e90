package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.codegen.vector.kernels.NativeKernels;
import ggufc.ir.DType;
import ggufc.runtime.LoadedModel;
import ggufc.runtime.VectorExecutor;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The native matmul kernels ({@link NativeKernels}) end to end against llama.cpp: the Q8_0 and Q4_0
 * variants (stories260K's and the synthetic architectures') with small-weight packing off
 * ({@code -Dggufc.pack-small=false}), so every quantized matmul runs on the kernels a 1B-class model
 * uses; the logits of every prompt position within 1e-4 of llama.cpp's (the variant's tolerance for a
 * mixture of experts), and
 * llama.cpp's greedy token at every step clear of a near-tie (the prompt through the GEMM, each step
 * through the one-token kernels).
 */
class NativeKernelParityTest {
    static Stream<Arguments> cases() {
        return LlamaParityTest.allVariants().stream()
                .filter(v -> v.goldenDir().endsWith("Q8_0") || v.goldenDir().endsWith("Q4_0"))
                .map(v -> Arguments.of(v, v.prompts().getFirst()));
    }

    @ParameterizedTest(name = "{0} prompt {1}")
    @MethodSource("cases")
    void blockKernelsMatchLlamaCpp(LlamaParityTest.Variant v, int prompt) {
        String text = Goldens.prompts().get(prompt - 1);
        Goldens.Logits golden = Goldens.Logits.read(Goldens.root().resolve(v.goldenDir()).resolve("p" + prompt + ".logits.bin"));
        String old = System.getProperty("ggufc.pack-small");
        System.setProperty("ggufc.pack-small", "false");
        try {
            try (LoadedModel m = LoadedModel.open(v.file(), 256, DType.F32, true, LoadedModel.Backend.VECTOR, 2)) {
                assertNotNull(NativeKernels.active(), "native kernels not running: " + NativeKernels.whyNot());
                int[] ids = m.tokenizer().encode(text, true, false);
                assertArrayEquals(golden.tokens(), ids);
                float[][] rows = ((VectorExecutor) m.executor()).run(ids, 0, true);
                double worst = 0;
                for (int r = 0; r < golden.rows().length; r++) worst = Math.max(worst, VectorParityTest.maxDiff(rows[golden.rowPositions()[r]], golden.rows()[r]));
                System.out.printf("native kernels %-45s prompt %d: max |logit diff| vs llama.cpp = %.3g%n", v, prompt, worst);
                // the kernels follow ggml's x86 numerics (vec_dot for a step, the repacked GEMM's for a prompt): where no expert
                // routing reorders the work, the logits equal llama.cpp's to float rounding (measured 0 to 1.9e-6), far inside
                // the variant's tolerance for other summation orders
                double tol = v.name().contains("moe") ? v.tolerance() : 1e-4;
                assertTrue(worst <= tol, String.format("%s prompt %d: max |logit diff| %.3g exceeds %.3g", v, prompt, worst, tol));
            }
            try (LoadedModel m = LoadedModel.open(v.file(), 256, DType.F32, false, LoadedModel.Backend.VECTOR, 2)) {
                LlamaParityTest.greedyTeacherForced(v, prompt, m.executor(), "native kernels greedy");
            }
        } finally {
            if (old == null) System.clearProperty("ggufc.pack-small");
            else System.setProperty("ggufc.pack-small", old);
        }
    }
}
