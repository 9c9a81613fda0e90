package ggufc.golden;

import ggufc.gguf.GgmlType;
import ggufc.gguf.GgufFile;
import ggufc.gguf.SyntheticLlama;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The synthetic qwen2, qwen3, qwen3moe, phi3, gemma2, gemma3, gemma4 and gemma4-moe test models ({@code ggufc synth --preset ARCH-tiny}, seed 1,
 * stories260K's vocabulary) in F32, Q8_0 and Q4_0, written on first use under {@code target/arch-models}
 * and checked against the SHA-256 that golden-tests/regenerate.sh recorded next to llama.cpp's
 * goldens ({@code golden/<model>/model.sha256}), so the goldens are always those of the exact file
 * under test. The Q8_0 and Q4_0 files are ggufc synth's own quantization; regenerate.sh checks that llama.cpp
 * gives them exactly the logits of llama-quantize's Q8_0 and Q4_0 --pure (from which the goldens come).
 */
final class ArchModels {
    private ArchModels() {}

    static final List<String> ARCHITECTURES = only(List.of("qwen2", "qwen3", "qwen3moe", "phi3", "gemma2", "gemma3", "gemma4", "gemma4-moe"));

    /** With {@code -Dggufc.arch.only=qwen3moe,qwen3}: just those architectures (to run one model's parity cases). */
    private static List<String> only(List<String> all) {
        String o = System.getProperty("ggufc.arch.only", "").trim();
        if (o.isEmpty()) return all;
        List<String> want = List.of(o.split("\\s*,\\s*"));
        return all.stream().filter(want::contains).toList();
    }
    /** The weight types of each model: F32, and Q8_0 and Q4_0 (llama-quantize --pure's: every matrix Q4_0). */
    static final List<GgmlType> TYPES = List.of(GgmlType.F32, GgmlType.Q8_0, GgmlType.Q4_0);

    /** The golden prompts regenerate.sh ran on these models (of prompts.txt). */
    static final List<Integer> PROMPTS = List.of(1, 2, 4);
    /** gemma2-tiny's and gemma3-tiny's: longer than their 4-key sliding window (prompt 5 is 28 tokens). */
    static final List<Integer> GEMMA_PROMPTS = List.of(1, 2, 5);

    /** The golden prompts of {@code arch}'s model. */
    static List<Integer> prompts(String arch) { return arch.startsWith("gemma") ? GEMMA_PROMPTS : PROMPTS; }

    private static final Map<String, Path> written = new ConcurrentHashMap<>();

    /** Golden folder name: {@code qwen3-tiny}, {@code qwen3-tiny-Q8_0} or {@code qwen3-tiny-Q4_0}. */
    static String goldenDir(String arch, GgmlType t) { return arch + "-tiny" + (t == GgmlType.F32 ? "" : "-" + t); }

    /** The model file, written once per JVM and verified against the goldens' hash. */
    static Path file(String arch, GgmlType t) {
        return written.computeIfAbsent(goldenDir(arch, t), dir -> {
            try {
                Path out = Path.of("target/arch-models").resolve(dir + ".gguf");
                Files.createDirectories(out.getParent());
                try (GgufFile vocab = GgufFile.open(Goldens.sharedModel("stories260K.gguf"))) {
                    SyntheticLlama.write(out, SyntheticLlama.tiny(arch), vocab, SyntheticLlama.TypePolicy.uniform(t));
                }
                String want = Files.readString(Goldens.root().resolve(dir).resolve("model.sha256"), StandardCharsets.UTF_8).split("\\s+")[0];
                String got = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(out)));
                if (!want.equals(got)) {
                    throw new AssertionError(out + " (sha256 " + got + ") is not the file the goldens in " + dir + " were made from (" + want
                            + "): the synthetic model generator changed; rerun golden-tests/regenerate.sh");
                }
                return out;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** llama.cpp's 32-token greedy text for "Once upon a time" (generate.sh), as the CLI prints it. */
    static String greedy32(String arch, GgmlType t) {
        try {
            return new String(Files.readAllBytes(Goldens.root().resolve(goldenDir(arch, t)).resolve("greedy-32.txt")), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
