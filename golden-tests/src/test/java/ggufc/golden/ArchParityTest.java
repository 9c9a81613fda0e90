package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ggufc.gguf.GgmlType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code ggufc run --temp 0 -n 32 "Once upon a time"} on the synthetic qwen2, qwen3, phi3, gemma2 and gemma3 models
 * (F32 and Q8_0, {@link ArchModels}) prints exactly llama.cpp's text ({@code generate.sh MODEL TEXT
 * 32}), on every backend: the interpreter, the vector plan, a compiled artifact ({@code ggufc
 * compile} + {@code run --artifact}) and OpenCL ({@code --device opencl:0}, and {@code opencl:0:spirv}:
 * the SPIR-V kernels, through llvm-spirv on PoCL). The one exception is
 * the vector backend on Q8_0, which runs f32 activations rather than llama.cpp's q8_0 rounding and
 * is checked against the interpreter on its graph. Logits are checked
 * against llama.cpp by {@link LlamaParityTest}, {@link VectorParityTest} and {@link OpenClParityTest},
 * whose variants include these models.
 */
class ArchParityTest {
    @TempDir
    static Path artifacts;

    static Stream<Arguments> cases() {
        List<Arguments> r = new ArrayList<>();
        for (String a : ArchModels.ARCHITECTURES) {
            for (GgmlType t : List.of(GgmlType.F32, GgmlType.Q8_0)) {
                for (String backend : List.of("interpreter", "vector", "artifact", "opencl:0", "opencl:0:spirv")) r.add(Arguments.of(a, t, backend));
            }
        }
        return r.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void greedy32TextIsLlamaCpps(String arch, GgmlType t, String backend) {
        String model = ArchModels.file(arch, t).toAbsolutePath().toString();
        List<String> args = new ArrayList<>(List.of("run", "--prompt", "Once upon a time", "-n", "32", "--temp", "0", "--threads", "2"));
        switch (backend) {
            case "artifact" -> {
                Path out = artifacts.resolve(ArchModels.goldenDir(arch, t));
                CliTest.Run c = CliTest.ggufc("compile", "--model", model, "-o", out.toString(), "--threads", "2", "--no-jvm-cache");
                assertEquals(0, c.exit(), c.err());
                args.addAll(List.of("--artifact", out.toString()));
            }
            case "opencl:0", "opencl:0:spirv" -> args.addAll(List.of("--model", model, "--device", backend));
            default -> args.addAll(List.of("--model", model, "--backend", backend));
        }
        CliTest.Run r = CliTest.ggufc(args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.err());
        if (t != GgmlType.F32 && backend.equals("vector")) {
            // the vector backend runs the lifted graph with f32 activations, not llama.cpp's q8_0 rounding:
            // its truth is the interpreter on that graph (--passes none), as in VectorParityTest
            CliTest.Run ref = CliTest.ggufc("run", "--prompt", "Once upon a time", "-n", "32", "--temp", "0", "--model", model, "--backend", "interpreter", "--passes", "none");
            assertEquals(0, ref.exit(), ref.err());
            assertEquals(ref.out(), r.out(), arch + " " + t + " on vector: greedy text differs from the interpreter's on the lifted graph");
            return;
        }
        // llama.cpp prints raw bytes, read back as UTF-8 with U+FFFD for what is not (byte tokens; qwen2-tiny-Q8_0 ends in an unfinished character)
        assertEquals(ArchModels.greedy32(arch, t), r.out(), arch + " " + t + " on " + backend + ": greedy text differs from llama.cpp's");
    }

    /** A qwen3 file without a layer's k_norm: `ggufc run` fails with one line naming the file and the tensor. */
    @org.junit.jupiter.api.Test
    void missingTensorIsOneLineNamingFileAndTensor() {
        Path bad = artifacts.resolve("qwen3-no-k-norm.gguf");
        ggufc.gguf.SyntheticLlama.Config c = ggufc.gguf.SyntheticLlama.tiny("qwen3");
        try (ggufc.gguf.GgufFile vocab = ggufc.gguf.GgufFile.open(Goldens.sharedModel("stories260K.gguf"))) {
            ggufc.gguf.GgufWriter w = new ggufc.gguf.GgufWriter().putAll(ggufc.gguf.SyntheticLlama.metadata(c, vocab, GgmlType.F32));
            for (ggufc.gguf.SyntheticLlama.TensorSpec s : ggufc.gguf.SyntheticLlama.tensors(c, ggufc.gguf.SyntheticLlama.vocabSize(vocab))) {
                if (!s.name().equals("blk.1.attn_k_norm.weight")) w.tensor(s.name(), GgmlType.F32, s.ne(), seg -> {});
            }
            w.write(bad);
        }
        for (String backend : List.of("interpreter", "vector")) {
            CliTest.Run r = CliTest.ggufc("run", "--model", bad.toString(), "--prompt", "Hi", "-n", "2", "--backend", backend);
            String err = r.err().strip();
            org.junit.jupiter.api.Assertions.assertNotEquals(0, r.exit());
            org.junit.jupiter.api.Assertions.assertTrue(!err.contains("\n") && err.contains("qwen3-no-k-norm.gguf") && err.contains("missing tensor 'blk.1.attn_k_norm.weight'"), err);
        }
    }
}
