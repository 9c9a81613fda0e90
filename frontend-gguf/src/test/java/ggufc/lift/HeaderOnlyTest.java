package ggufc.lift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.gguf.GgmlType;
import ggufc.gguf.GgufException;
import ggufc.gguf.GgufFile;
import ggufc.gguf.GgufTensorInfo;
import ggufc.gguf.SyntheticLlama;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.ir.Verifier;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code ggufc synth --header-only}: real-shape headers without data lift, and have the real models' parameter counts. */
class HeaderOnlyTest {
    @TempDir
    Path tmp;

    /**
     * Each required preset's header (Q4_0, the real vocabulary) lifts, verifies, and counts the published parameters
     * within the tolerance (model cards: Llama 2 7B 6.74B, Llama 3.2 1B 1.24B, 3.1 8B 8.03B, 3 70B 70.6B, Qwen3 8B 8.19B, 14B 14.8B,
     * 32B 32.8B, 30B-A3B 30.5B; Gemma 4 by their names, 31B and 26B). E2B's card says 5.1B with its vision and
     * audio encoders, which a text GGUF lacks: its row pins the preset's own text-decoder count (4.06B), unchecked against a card.
     */
    @ParameterizedTest
    @CsvSource({
        "llama-2-7b, 32000, 6.74, 0.02",
        "llama-3.2-1b, 128256, 1.24, 0.02",
        "llama-3.1-8b, 128256, 8.03, 0.02",
        "llama-3-70b, 128256, 70.6, 0.02",
        "qwen3, 151936, 8.19, 0.02",
        "qwen3-14b, 151936, 14.8, 0.02",
        "qwen3-32b, 151936, 32.8, 0.02",
        "qwen3moe, 151936, 30.5, 0.02",
        "gemma4, 262144, 31.0, 0.05",
        "gemma4-26b-a4b, 262144, 26.0, 0.05",
        "gemma4-e2b, 262144, 4.06, 0.02",
    })
    void presetHeadersLiftWithRealSizes(String preset, int nVocab, double billions, double tolerance) throws Exception {
        SyntheticLlama.Config c = SyntheticLlama.realShape(preset);
        Path file = tmp.resolve(preset + ".gguf");
        SyntheticLlama.writeHeader(file, c, nVocab, SyntheticLlama.TypePolicy.uniform(GgmlType.Q4_0));
        assertTrue(Files.size(file) < 8 << 20, "a header of " + Files.size(file) + " bytes");
        try (GgufFile f = GgufFile.openHeader(file)) {
            assertTrue(f.headerOnly());
            long params = f.tensors().stream().mapToLong(GgufTensorInfo::elements).sum();
            System.out.printf("%s: %,d parameters (published %.2fB)%n", preset, params, billions);
            assertEquals(billions, params / 1e9, billions * tolerance, preset);
            assertEquals(nVocab, f.getStringArray("tokenizer.ggml.tokens").size());
            Graph g = Lifters.lift(f, new LlamaLifter.Options(256, false, DType.F32));
            assertTrue(Verifier.check(g).isEmpty(), Verifier.check(g).toString());
        }
    }

    /** A header-only file is refused by the ordinary open, and its data cannot be read, in one line. */
    @Test
    void dataOfHeaderOnlyFileIsOneLineError() {
        Path file = tmp.resolve("h.gguf");
        SyntheticLlama.writeHeader(file, SyntheticLlama.realShape("llama-3.2-1b"), 128256, SyntheticLlama.TypePolicy.uniform(GgmlType.F16));
        GgufException e = assertThrows(GgufException.class, () -> GgufFile.open(file));
        assertEquals("h.gguf: " + GgufFile.HEADER_ONLY_PROBLEM, e.getMessage());
        try (GgufFile f = GgufFile.openHeader(file)) {
            GgufException d = assertThrows(GgufException.class, () -> f.tensorData(f.tensor("token_embd.weight")));
            assertEquals("h.gguf: header-only GGUF (no tensor data): use it with ggufc simulate or ggufc ir", d.getMessage());
        }
    }
}
