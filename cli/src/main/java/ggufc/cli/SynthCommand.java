package ggufc.cli;

import ggufc.gguf.GgmlType;
import ggufc.gguf.GgufFile;
import ggufc.gguf.SyntheticLlama;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "synth", mixinStandardHelpOptions = true,
        description = {"Write a llama GGUF with seeded random weights in real shapes, for benchmarks. The tokenizer is taken from a vocab GGUF, so llama.cpp loads the file too."})
final class SynthCommand implements Callable<Integer> {
    /** Model shapes. Llama-3.2-1B's layer shapes; the vocabulary is the --vocab file's. */
    enum Preset {
        LLAMA_125M("llama-125m", SyntheticLlama.Config.of(768, 2048, 12, 12, 12, 2048)),
        LLAMA_1B("llama-1b", new SyntheticLlama.Config(2048, 8192, 16, 32, 8, 2048, 1, 1e-5f, 500000f, true, false));

        final String id;
        final SyntheticLlama.Config config;

        Preset(String id, SyntheticLlama.Config config) {
            this.id = id;
            this.config = config;
        }

        static Preset byId(String id) {
            for (Preset p : values()) if (p.id.equals(id)) return p;
            throw new IllegalArgumentException("unknown preset '" + id + "' (known: llama-125m, llama-1b)");
        }
    }

    @Option(names = "--preset", required = true, description = "llama-125m (768 embd, 12 layers, 12 heads, FFN 2048) or llama-1b (Llama-3.2-1B layers: 2048 embd, 16 layers, 32 heads, 8 KV heads, FFN 8192, tied output, RoPE base 500000).")
    String preset;

    @Option(names = "--type", defaultValue = "Q8_0", description = "Weight type of the matrices: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K (norms stay F32). Default: ${DEFAULT-VALUE}.")
    String type;

    @Option(names = {"-o", "--output"}, required = true, description = "GGUF file to write.")
    Path output;

    @Option(names = "--seed", defaultValue = "1", description = "Weight seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--vocab", defaultValue = "vocab/ggml-vocab-llama-spm.gguf", description = "GGUF whose tokenizer the model gets (default: ${DEFAULT-VALUE}, 32000 tokens, looked up like --model).")
    String vocab;

    @Override
    public Integer call() {
        Preset p = Preset.byId(preset);
        GgmlType t;
        try {
            t = GgmlType.valueOf(type.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown --type '" + type + "'");
        }
        SyntheticLlama.Config c = p.config.withSeed(seed);
        try (GgufFile v = GgufFile.open(ModelLocator.resolve(vocab))) {
            int nVocab = SyntheticLlama.vocabSize(v);
            long total = SyntheticLlama.tensors(c, nVocab).stream().mapToLong(SyntheticLlama.TensorSpec::elements).sum();
            System.err.printf("ggufc: synth %s (%,d parameters, vocab %d from %s) as %s -> %s%n", p.id, total, nVocab, v.path().getFileName(), t, output);
            if (output.getParent() != null) Files.createDirectories(output.getParent());
            long t0 = System.nanoTime();
            try (ProgressBar bar = ProgressBars.builder("synth").setInitialMax(total).setUnit(" M params", 1_000_000).build()) {
                SyntheticLlama.write(output, c, v, SyntheticLlama.TypePolicy.uniform(t), (name, n) -> bar.stepBy(n));
            }
            System.err.printf("ggufc: wrote %s (%,d bytes) in %.1f s%n", output, output.toFile().length(), (System.nanoTime() - t0) / 1e9);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return 0;
    }
}
