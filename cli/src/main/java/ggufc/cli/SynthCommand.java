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
        description = {"Write a GGUF (llama, qwen2, qwen3, qwen3moe, phi3, gemma2, gemma3, gemma4 or hy_v3) with seeded random weights, in real shapes for benchmarks or tiny ones for tests. The tokenizer is taken from a vocab GGUF, so llama.cpp loads the file too."})
final class SynthCommand implements Callable<Integer> {
    /**
     * Model shapes. The {@code *-tiny} presets are scaled-down test models (2 layers, GQA, head
     * dimension 64; their default vocabulary is stories260K's 512 tokens, so F32 files stay a few
     * MB); the others have a real model's layer shapes (the vocabulary is the --vocab file's).
     */
    enum Preset {
        LLAMA_125M("llama-125m", SyntheticLlama.Config.of(768, 2048, 12, 12, 12, 2048), null),
        /** Llama-3.2-1B's layers (context 2048; {@code llama-3.2-1b} is the same with the real 131072). */
        LLAMA_1B("llama-1b", new SyntheticLlama.Config(2048, 8192, 16, 32, 8, 2048, 1, 1e-5f, 500000f, true, false), null, 128256),
        /** Llama 3.2 1B: 2048 embd, 16 layers, 32 heads, 8 KV heads, FFN 8192, tied output, vocab 128256. */
        LLAMA_3_2_1B("llama-3.2-1b", SyntheticLlama.realShape("llama-3.2-1b"), null, 128256),
        /** Llama 2 7B: 4096 embd, 32 layers, 32 heads (no GQA), FFN 11008, vocab 32000. */
        LLAMA_2_7B("llama-2-7b", SyntheticLlama.realShape("llama-2-7b"), null, 32000),
        /** Llama 3.1 8B: 4096 embd, 32 layers, 32 heads, 8 KV heads, FFN 14336, vocab 128256. */
        LLAMA_3_1_8B("llama-3.1-8b", SyntheticLlama.realShape("llama-3.1-8b"), null, 128256),
        /** Llama 3 70B: 8192 embd, 80 layers, 64 heads, 8 KV heads, FFN 28672, vocab 128256. */
        LLAMA_3_70B("llama-3-70b", SyntheticLlama.realShape("llama-3-70b"), null, 128256),
        /** Qwen3-14B: 5120 embd, 40 layers, 40 heads of 128, 8 KV heads, FFN 17408, vocab 151936. */
        QWEN3_14B("qwen3-14b", SyntheticLlama.realShape("qwen3-14b"), null, 151936),
        /** Qwen3-32B: 5120 embd, 64 layers, 64 heads of 128, 8 KV heads, FFN 25600, vocab 151936. */
        QWEN3_32B("qwen3-32b", SyntheticLlama.realShape("qwen3-32b"), null, 151936),
        /** qwen2 with Q/K/V biases, NEOX RoPE base 1e6, rms eps 1e-6. */
        QWEN2_TINY("qwen2-tiny", SyntheticLlama.tiny("qwen2"), "stories260K.gguf"),
        /** qwen3 with q/k norms and a head dimension (64) that is not n_embd / n_head (192 / 4). */
        QWEN3_TINY("qwen3-tiny", SyntheticLlama.tiny("qwen3"), "stories260K.gguf"),
        /** qwen3moe: qwen3-tiny's attention and, in each of its 2 layers, 8 experts of FFN 128, 2 per token. */
        QWEN3MOE_TINY("qwen3moe-tiny", SyntheticLlama.tiny("qwen3moe"), "stories260K.gguf"),
        /** phi3 with fused QKV and gate/up, GQA (Phi-3-mini has none, Phi-3-medium has). */
        PHI3_TINY("phi3-tiny", SyntheticLlama.tiny("phi3"), "stories260K.gguf"),
        /** gemma3 with 4 layers (0, 1, 3 local with a 4-key sliding window, 2 global), q/k and post norms, GeGLU; a separate output matrix keeps logits near 1 (tied ones would be ~250 with synth's unit-variance embeddings). */
        GEMMA3_TINY("gemma3-tiny", SyntheticLlama.tiny("gemma3"), "stories260K.gguf"),
        /** gemma2 with 4 layers (0 and 2 local with a 4-key sliding window, 1 and 3 global), post norms, GeGLU, attention and final logit soft-capping at 2 and 5 (its scores are ~1, its logits ~1 and the current token's ~16), tied output with an output norm of ~1/16. */
        GEMMA2_TINY("gemma2-tiny", SyntheticLlama.tiny("gemma2"), "stories260K.gguf"),
        /**
         * gemma4 with 6 layers: 0, 2, 4 sliding-window (4 keys, heads of 64 over 2 KV heads), 1, 3, 5 global (heads of 128 over
         * 1 KV head, V = K, 16 of 64 RoPE pairs rotated through rope_freqs); layers 4 and 5 share the caches of 2 and 3;
         * per-layer embeddings of 32; layer output scales; final soft-capping at 5.
         */
        GEMMA4_TINY("gemma4-tiny", SyntheticLlama.tiny("gemma4"), "stories260K.gguf"),
        /** gemma4 in 26B-A4B's layout, 4 layers (1 and 3 global, V = K, partial RoPE): a dense GeGLU FFN of 256 beside 8 experts of 64 (2 per token), a scaled router, merged gate/up, per-expert down scales. */
        GEMMA4_MOE_TINY("gemma4-moe-tiny", SyntheticLlama.tiny("gemma4-moe"), "stories260K.gguf"),
        /** Qwen2.5-7B's layers: 3584 embd, 28 layers, 28 heads, 4 KV heads, FFN 18944. */
        QWEN2_7B("qwen2-7b", SyntheticLlama.realShape("qwen2"), null, 152064),
        /** Qwen3-8B's layers: 4096 embd, 36 layers, 32 heads (dim 128), 8 KV heads, FFN 12288. */
        QWEN3_8B("qwen3-8b", SyntheticLlama.realShape("qwen3"), null, 151936),
        /** Qwen3-30B-A3B's layers: 2048 embd, 48 layers, 32 heads (dim 128), 4 KV heads, 128 experts of FFN 768, 8 per token. */
        QWEN3MOE_30B_A3B("qwen3moe-30b-a3b", SyntheticLlama.realShape("qwen3moe"), null, 151936),
        /** Phi-3-mini-4k's layers: 3072 embd, 32 layers, 32 heads (dim 96), FFN 8192. */
        PHI3_MINI("phi3-mini", SyntheticLlama.realShape("phi3"), null, 32064),
        /** Gemma-3-1B's layers: 1152 embd, 26 layers, 4 heads (dim 256), 1 KV head, FFN 6912, window 512 on 5 of 6 layers, tied output. */
        GEMMA3_1B("gemma3-1b", SyntheticLlama.realShape("gemma3"), null, 262144),
        /** Gemma-2-2B's layers: 2304 embd, 26 layers, 8 heads (dim 256), 4 KV heads, FFN 9216, window 4096 on alternate layers, soft-capping 50 / 30, tied output. */
        GEMMA2_2B("gemma2-2b", SyntheticLlama.realShape("gemma2"), null, 256000),
        /** Gemma 4 31B's layers: 5376 embd, 60 layers, 32 heads, sliding-window layers (5 of 6, 1024 keys) 256-wide over 16 KV heads, global ones 512-wide over 4 with V = K and partial RoPE, FFN 21504, soft-capping 30, tied output. */
        GEMMA4_31B("gemma4-31b", SyntheticLlama.realShape("gemma4"), null, 262144),
        /** Gemma 4 E2B's layers: 1536 embd, 35 layers, 8 heads of 256 (global 512), 1 KV head, FFN 6144, 512-key window on 4 of 5 layers, the last 20 layers sharing KV, per-layer embeddings of 256. */
        GEMMA4_E2B("gemma4-e2b", SyntheticLlama.realShape("gemma4-e2b"), null, 262144),
        /** Gemma 4 26B-A4B's layers: 2816 embd, 30 layers, 16 heads, a dense FFN of 2112 beside 128 experts of 704 (8 per token). */
        GEMMA4_26B_A4B("gemma4-26b-a4b", SyntheticLlama.realShape("gemma4-26b-a4b"), null, 262144);

        final String id;
        final SyntheticLlama.Config config;
        /** Default --vocab of this preset (null: the command's default). */
        final String vocab;
        /** The real model's vocabulary size, which --header-only files get (0: the --vocab file's). */
        final int realVocab;

        Preset(String id, SyntheticLlama.Config config, String vocab) {
            this(id, config, vocab, 0);
        }

        Preset(String id, SyntheticLlama.Config config, String vocab, int realVocab) {
            this.id = id;
            this.config = config;
            this.vocab = vocab;
            this.realVocab = realVocab;
        }

        static Preset byId(String id) {
            for (Preset p : values()) if (p.id.equals(id)) return p;
            if (id.equals("qwen3-30b-a3b")) return QWEN3MOE_30B_A3B;
            throw new IllegalArgumentException("unknown preset '" + id + "' (known: " + String.join(", ", java.util.Arrays.stream(values()).map(p -> p.id).toList()) + ")");
        }
    }

    @Option(names = "--preset", required = true, description = "llama-125m (768 embd, 12 layers, 12 heads, FFN 2048), llama-1b (Llama-3.2-1B layers: 2048 embd, 16 layers, 32 heads, 8 KV heads, FFN 8192, tied output, RoPE base 500000); "
            + "test models qwen2-tiny, qwen3-tiny, phi3-tiny (2 layers, 4 heads of 64, 2 KV heads, FFN 512; vocab stories260K.gguf), gemma3-tiny (the same in 4 layers, 3 with a 4-key sliding window), gemma2-tiny (4 layers, 2 with a 4-key window, soft-capping 2 / 5), gemma4-tiny (6 layers: sliding-window and global heads of their own sizes, V = K, partial RoPE, shared KV, per-layer embeddings, soft-capping 5), gemma4-moe-tiny (4 layers, a dense FFN beside 8 experts, 2 per token), gemma4-mtp-tiny and gemma4-mtp-cycle-tiny (a 4-layer gemma4 target and, with --assistant-out, its 2-layer gemma4-assistant drafter; F32 unless --type is given; the cycle pair is built so that drafts are accepted), hyv3-mtp-tiny and hyv3-mtp-cycle-tiny (a dense hy_v3: qwen3-tiny's 2 layers plus 1 MTP (nextn) layer in the same file, for --spec-type draft-mtp without -md; F32 unless --type is given; the cycle model is built so that drafts are accepted), qwen3moe-tiny (qwen3-tiny's attention, 8 experts of FFN 128, 2 per token); "
            + "real shapes llama-2-7b, llama-3.2-1b, llama-3.1-8b, llama-3-70b, qwen3-14b, qwen3-32b, qwen2-7b (Qwen2.5-7B), qwen3-8b (Qwen3-8B), qwen3moe-30b-a3b or qwen3-30b-a3b (Qwen3-30B-A3B: 128 experts, 8 per token), phi3-mini (Phi-3-mini-4k), gemma3-1b (Gemma-3-1B), gemma2-2b (Gemma-2-2B), gemma4-31b (Gemma 4 31B), gemma4-e2b (Gemma 4 E2B), gemma4-26b-a4b (Gemma 4 26B-A4B).")

    String preset;

    @Option(names = "--type", defaultValue = "Q8_0", description = "Weight type of the matrices: F32, F16, BF16, Q4_K_M (Q4_K with llama-quantize's Q6_K tensors), Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K (norms stay F32). Default: ${DEFAULT-VALUE}.")
    String type;

    @Option(names = "--header-only", description = "Write only the GGUF header (metadata, a placeholder tokenizer of the real model's vocabulary size, tensor names, shapes and types; no data): a file of a few MB that ggufc simulate and ggufc ir read; ggufc run refuses it.")
    boolean headerOnly;

    @Option(names = {"-o", "--output"}, required = true, description = "GGUF file to write.")
    Path output;

    @Option(names = "--seed", defaultValue = "1", description = "Weight seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--assistant-out", paramLabel = "FILE", description = "With --preset gemma4-mtp-tiny or gemma4-mtp-cycle-tiny: where the gemma4-assistant drafter goes (-o gets its gemma4 target); "
            + "`ggufc run --model TARGET -md FILE --spec-type draft-mtp` and llama.cpp's `-m TARGET -md FILE --spec-type draft-mtp` run the pair.")
    Path assistantOut;

    /** The presets that write a gemma4 target and its gemma4-assistant drafter (F32, tiny), and whether drafts are built to be accepted. */
    static final java.util.Map<String, Boolean> PAIRS = java.util.Map.of("gemma4-mtp-tiny", false, "gemma4-mtp-cycle-tiny", true);

    @Option(names = "--vocab", description = "GGUF whose tokenizer the model gets, looked up like --model (default: stories260K.gguf for the *-tiny presets, else vocab/ggml-vocab-llama-spm.gguf, 32000 tokens).")
    String vocab;

    @Override
    public Integer call() throws java.io.IOException {
        if (PAIRS.containsKey(preset)) return writePair(PAIRS.get(preset));
        if (HYV3_MTP.containsKey(preset)) return writeHyV3(HYV3_MTP.get(preset));
        if (assistantOut != null) throw new IllegalArgumentException("--assistant-out goes with --preset " + String.join(" or ", new java.util.TreeSet<>(PAIRS.keySet())));
        Preset p = Preset.byId(preset);
        SyntheticLlama.Config c = p.config.withSeed(seed);
        SyntheticLlama.TypePolicy policy;
        GgmlType t;
        if (type.equalsIgnoreCase("Q4_K_M")) {
            t = GgmlType.Q4_K;
            policy = SyntheticLlama.TypePolicy.q4KM(c.nLayer());
        } else {
            try {
                t = GgmlType.valueOf(type.toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown --type '" + type + "'");
            }
            policy = SyntheticLlama.TypePolicy.uniform(t);
        }
        if (headerOnly) {
            int nVocab = p.realVocab > 0 ? p.realVocab : 32000;
            if (output.getParent() != null) Files.createDirectories(output.getParent());
            SyntheticLlama.writeHeader(output, c, nVocab, policy);
            long total = SyntheticLlama.tensors(c, nVocab).stream().mapToLong(SyntheticLlama.TensorSpec::elements).sum();
            System.err.printf("ggufc: wrote the header of %s (%,d parameters, vocab %d) as %s -> %s (%,d bytes)%n", p.id, total, nVocab, type.toUpperCase(java.util.Locale.ROOT), output, output.toFile().length());
            return 0;
        }
        String vocabFile = vocab != null ? vocab : p.vocab != null ? p.vocab : "vocab/ggml-vocab-llama-spm.gguf";
        try (GgufFile v = GgufFile.open(ModelLocator.resolve(vocabFile))) {
            int nVocab = SyntheticLlama.vocabSize(v);
            long total = SyntheticLlama.tensors(c, nVocab).stream().mapToLong(SyntheticLlama.TensorSpec::elements).sum();
            System.err.printf("ggufc: synth %s (%,d parameters, vocab %d from %s) as %s -> %s%n", p.id, total, nVocab, v.path().getFileName(), t, output);
            if (output.getParent() != null) Files.createDirectories(output.getParent());
            long t0 = System.nanoTime();
            try (ProgressBar bar = ProgressBars.builder("synth").setInitialMax(total).setUnit(" M params", 1_000_000).build()) {
                SyntheticLlama.write(output, c, v, policy, (name, n) -> bar.stepBy(n));
            }
            System.err.printf("ggufc: wrote %s (%,d bytes) in %.1f s%n", output, output.toFile().length(), (System.nanoTime() - t0) / 1e9);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return 0;
    }

    /** The presets that write a dense hy_v3 model with its MTP (nextn) layer in the same file, and whether drafts are built to be accepted. */
    static final java.util.Map<String, Boolean> HYV3_MTP = java.util.Map.of("hyv3-mtp-tiny", false, "hyv3-mtp-cycle-tiny", true);

    /** The speculative presets' weight type: F32 unless a --type is given (the other presets' default, Q8_0, is not theirs); one type only. */
    private GgmlType singleTypeOrF32() {
        try {
            return spec.commandLine().getParseResult().hasMatchedOption("--type") ? GgmlType.valueOf(type.toUpperCase(java.util.Locale.ROOT)) : GgmlType.F32;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--preset " + preset + " takes a single --type (F32, F16, Q8_0, ...), not '" + type + "'");
        }
    }

    /** {@link #HYV3_MTP}: F32 by default, stories260K's vocabulary by default. */
    private int writeHyV3(boolean cycle) {
        if (assistantOut != null) throw new IllegalArgumentException("--preset " + preset + " writes one file (its MTP layer is inside it): no --assistant-out");
        if (headerOnly) throw new IllegalArgumentException("--preset " + preset + " has no --header-only form");
        GgmlType t = singleTypeOrF32();
        try (GgufFile v = GgufFile.open(ModelLocator.resolve(vocab != null ? vocab : "stories260K.gguf"))) {
            if (output.toAbsolutePath().getParent() != null) Files.createDirectories(output.toAbsolutePath().getParent());
            ggufc.gguf.SyntheticHyV3.write(output, seed, cycle, v, SyntheticLlama.TypePolicy.uniform(t));
            System.err.printf("ggufc: wrote %s (hy_v3 with 1 MTP layer, %,d bytes)%n", output, output.toFile().length());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return 0;
    }

    /** A gemma4 target (-o) and its gemma4-assistant drafter (--assistant-out), F32 by default, stories260K's vocabulary by default. */
    private int writePair(boolean cycle) {
        if (assistantOut == null) throw new IllegalArgumentException("--preset " + preset + " writes two files: give --assistant-out FILE for the gemma4-assistant (-o gets the target)");
        if (headerOnly) throw new IllegalArgumentException("--preset " + preset + " has no --header-only form");
        GgmlType t = singleTypeOrF32();
        try (GgufFile v = GgufFile.open(ModelLocator.resolve(vocab != null ? vocab : "stories260K.gguf"))) {
            for (Path o : new Path[] {output, assistantOut}) if (o.toAbsolutePath().getParent() != null) Files.createDirectories(o.toAbsolutePath().getParent());
            ggufc.gguf.SyntheticGemma4Assistant.write(output, assistantOut, seed, cycle, v, SyntheticLlama.TypePolicy.uniform(t));
            System.err.printf("ggufc: wrote %s (gemma4, %,d bytes) and %s (gemma4-assistant, %,d bytes)%n", output, output.toFile().length(), assistantOut, assistantOut.toFile().length());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return 0;
    }
}
