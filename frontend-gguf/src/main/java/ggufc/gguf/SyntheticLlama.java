package ggufc.gguf;

import ggufc.ir.quant.BlockCodecs;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a GGUF of one of {@link #ARCHITECTURES} (llama, qwen2, qwen3, qwen3moe, phi3, gemma2, gemma3) with seeded random weights: any size, any tensor types
 * (quantized with {@link BlockCodecs#quantize}, i.e. exactly as llama.cpp's reference
 * quantizers would), the tokenizer copied from another GGUF. llama.cpp loads and runs these
 * files (checked by quant-golden/regenerate.sh). Backs {@code ggufc synth}.
 *
 * <p>Weights are a pure function of (seed, tensor name, element index): each tensor has its own
 * splitmix64 stream, so {@link #weights} can regenerate any tensor without writing the file, and
 * a tensor's values do not depend on its type or on the other tensors. Matrices are roughly
 * normal (sum of four uniforms) with standard deviation 1/sqrt(fan-in) (the token embedding 1),
 * norm weights near 1, biases centred on 0 (standard deviation 0.2). With {@link Config#stressBlocks} the first four rows of every matrix hold
 * quantizer edge cases: row 0 cycles per 32-element block through all-zero, tiny (1e-6), huge
 * (1e3), a single outlier, constant positive, constant negative, alternating signs and plain
 * values; row 1 is all zero; row 2 tiny (1e-5); row 3 huge (1e3) with one outlier of 3e4 (every
 * value stays in F16 range so llama.cpp accepts the quantized scales).
 */
public final class SyntheticLlama {
    private SyntheticLlama() {}

    /** The architectures this class writes ({@code general.architecture}). */
    public static final List<String> ARCHITECTURES = List.of("llama", "qwen2", "qwen3", "qwen3moe", "phi3", "gemma2", "gemma3", "gemma4");

    /**
     * Hyperparameters and generation options. {@code arch} picks the tensor set: {@code llama};
     * {@code qwen2} (Q/K/V biases); {@code qwen3} (per-head q/k norms, and a head dimension that
     * need not be n_embd / n_head); {@code qwen3moe} (qwen3's attention and a mixture-of-experts FFN:
     * {@code ffn_gate_inp} and the stacked {@code ffn_gate/up/down_exps}; needs {@code moe}); {@code phi3} (fused attn_qkv, ffn_up holding gate and up);
     * {@code gemma3} (q/k norms, post-attention and post-FFN norms, GeGLU, sliding-window layers);
     * {@code gemma2} (gemma3's tensors without q/k norms; always a tied output, as llama.cpp reads it;
     * an output norm of ~1/sqrt(n_embd), so that the tied logits are ~1, a token's own ~16, rather than ~16 and ~250).
     * {@code attnSoftcap} and {@code finalSoftcap} (gemma2 only; 0: not written) become
     * {@code attn_logit_softcapping} and {@code final_logit_softcapping}.
     * {@code headDim} 0 means n_embd / n_head. {@code slidingWindow} and {@code swaPattern} (gemma3
     * only; 0: not written) become {@code attention.sliding_window} and
     * {@code attention.sliding_window_pattern} (every {@code swaPattern}-th layer is global).
     */
    public record Config(int nEmbd, int nFf, int nLayer, int nHead, int nHeadKv, int contextLength,
                         long seed, float rmsEps, float ropeFreqBase, boolean tiedOutput, boolean stressBlocks,
                         String arch, int headDim, int slidingWindow, int swaPattern, float attnSoftcap, float finalSoftcap, Moe moe, Gemma4 gemma4) {
        /** Not gemma4. */
        public Config(int nEmbd, int nFf, int nLayer, int nHead, int nHeadKv, int contextLength,
                      long seed, float rmsEps, float ropeFreqBase, boolean tiedOutput, boolean stressBlocks,
                      String arch, int headDim, int slidingWindow, int swaPattern, float attnSoftcap, float finalSoftcap, Moe moe) {
            this(nEmbd, nFf, nLayer, nHead, nHeadKv, contextLength, seed, rmsEps, ropeFreqBase, tiedOutput, stressBlocks, arch, headDim, slidingWindow, swaPattern, attnSoftcap, finalSoftcap, moe, null);
        }

        /** Without mixture-of-experts layers. */
        public Config(int nEmbd, int nFf, int nLayer, int nHead, int nHeadKv, int contextLength,
                      long seed, float rmsEps, float ropeFreqBase, boolean tiedOutput, boolean stressBlocks,
                      String arch, int headDim, int slidingWindow, int swaPattern, float attnSoftcap, float finalSoftcap) {
            this(nEmbd, nFf, nLayer, nHead, nHeadKv, contextLength, seed, rmsEps, ropeFreqBase, tiedOutput, stressBlocks, arch, headDim, slidingWindow, swaPattern, attnSoftcap, finalSoftcap, null, null);
        }

        /** Without soft-capping keys. */
        public Config(int nEmbd, int nFf, int nLayer, int nHead, int nHeadKv, int contextLength,
                      long seed, float rmsEps, float ropeFreqBase, boolean tiedOutput, boolean stressBlocks,
                      String arch, int headDim, int slidingWindow, int swaPattern) {
            this(nEmbd, nFf, nLayer, nHead, nHeadKv, contextLength, seed, rmsEps, ropeFreqBase, tiedOutput, stressBlocks, arch, headDim, slidingWindow, swaPattern, 0f, 0f);
        }

        /** Without a sliding window. */
        public Config(int nEmbd, int nFf, int nLayer, int nHead, int nHeadKv, int contextLength,
                      long seed, float rmsEps, float ropeFreqBase, boolean tiedOutput, boolean stressBlocks,
                      String arch, int headDim) {
            this(nEmbd, nFf, nLayer, nHead, nHeadKv, contextLength, seed, rmsEps, ropeFreqBase, tiedOutput, stressBlocks, arch, headDim, 0, 0);
        }

        public Config {
            if (!(attnSoftcap >= 0) || !(finalSoftcap >= 0)) throw new IllegalArgumentException("soft-capping values must be >= 0: " + this);
            if (arch.equals("gemma2") && !tiedOutput) throw new IllegalArgumentException("gemma2 always ties its output to token_embd (llama.cpp reads no output.weight)");
            if (slidingWindow < 0 || swaPattern < 0) throw new IllegalArgumentException("sliding window and pattern must be >= 0: " + this);
            if (nEmbd <= 0 || nFf <= 0 || nLayer <= 0 || nHead <= 0 || nHeadKv <= 0 || contextLength <= 0 || headDim < 0) {
                throw new IllegalArgumentException("hyperparameters must be positive: " + this);
            }
            if (!ARCHITECTURES.contains(arch)) throw new IllegalArgumentException("unknown architecture '" + arch + "' (known: " + String.join(", ", ARCHITECTURES) + ")");
            if (headDim == 0 && nEmbd % nHead != 0) throw new IllegalArgumentException("n_embd " + nEmbd + " is not a multiple of n_head " + nHead);
            if (arch.equals("qwen3moe") && moe == null || moe != null && !arch.equals("qwen3moe") && !arch.equals("gemma4")) {
                throw new IllegalArgumentException("qwen3moe needs experts (Moe), and only qwen3moe and gemma4 may have them: " + this);
            }
            if (headDim != 0 && !arch.startsWith("qwen3") && !arch.startsWith("gemma") && headDim * nHead != nEmbd) {
                throw new IllegalArgumentException(arch + ": head dimension " + headDim + " x n_head " + nHead + " must be n_embd " + nEmbd + " (only qwen3 and gemma may differ)");
            }
            if (nHead % nHeadKv != 0) throw new IllegalArgumentException("n_head " + nHead + " is not a multiple of n_head_kv " + nHeadKv);
            if (arch.equals("gemma4") && (gemma4 == null || slidingWindow <= 0 || swaPattern <= 0)) {
                throw new IllegalArgumentException("gemma4 needs its Gemma4 layout, a sliding window and a pattern: " + this);
            }
            if ((headDim == 0 ? nEmbd / nHead : headDim) % 2 != 0) throw new IllegalArgumentException("head dimension " + (headDim == 0 ? nEmbd / nHead : headDim) + " must be even (RoPE)");
        }

        /** A llama config (head dimension n_embd / n_head). */
        public Config(int nEmbd, int nFf, int nLayer, int nHead, int nHeadKv, int contextLength,
                      long seed, float rmsEps, float ropeFreqBase, boolean tiedOutput, boolean stressBlocks) {
            this(nEmbd, nFf, nLayer, nHead, nHeadKv, contextLength, seed, rmsEps, ropeFreqBase, tiedOutput, stressBlocks, "llama", 0);
        }

        /** Defaults: llama, seed 1, rms eps 1e-5, RoPE base 10000, separate output matrix, no stress rows. */
        public static Config of(int nEmbd, int nFf, int nLayer, int nHead, int nHeadKv, int contextLength) {
            return new Config(nEmbd, nFf, nLayer, nHead, nHeadKv, contextLength, 1, 1e-5f, 10000f, false, false);
        }

        public Config withSeed(long s) { return new Config(nEmbd, nFf, nLayer, nHead, nHeadKv, contextLength, s, rmsEps, ropeFreqBase, tiedOutput, stressBlocks, arch, headDim, slidingWindow, swaPattern, attnSoftcap, finalSoftcap, moe, gemma4); }
        public Config withTiedOutput(boolean t) { return new Config(nEmbd, nFf, nLayer, nHead, nHeadKv, contextLength, seed, rmsEps, ropeFreqBase, t, stressBlocks, arch, headDim, slidingWindow, swaPattern, attnSoftcap, finalSoftcap, moe, gemma4); }
        public Config withStressBlocks(boolean s) { return new Config(nEmbd, nFf, nLayer, nHead, nHeadKv, contextLength, seed, rmsEps, ropeFreqBase, tiedOutput, s, arch, headDim, slidingWindow, swaPattern, attnSoftcap, finalSoftcap, moe, gemma4); }
        public Config withRope(float base, float eps) { return new Config(nEmbd, nFf, nLayer, nHead, nHeadKv, contextLength, seed, eps, base, tiedOutput, stressBlocks, arch, headDim, slidingWindow, swaPattern, attnSoftcap, finalSoftcap, moe, gemma4); }

        /** Mixture-of-experts FFNs in every layer (null: dense). */
        public Config withMoe(Moe m) { return new Config(nEmbd, nFf, nLayer, nHead, nHeadKv, contextLength, seed, rmsEps, ropeFreqBase, tiedOutput, stressBlocks, arch, headDim, slidingWindow, swaPattern, attnSoftcap, finalSoftcap, m, gemma4); }

        /** Gemma 4's layout (gemma4 only). */
        public Config withGemma4(Gemma4 g) { return new Config(nEmbd, nFf, nLayer, nHead, nHeadKv, contextLength, seed, rmsEps, ropeFreqBase, tiedOutput, stressBlocks, arch, headDim, slidingWindow, swaPattern, attnSoftcap, finalSoftcap, moe, g); }

        public int headDim() { return headDim == 0 ? nEmbd / nHead : headDim; }
        public int nEmbdQ() { return headDim() * nHead; }
        public int nEmbdKv() { return headDim() * nHeadKv; }
    }

    /**
     * Gemma 4's layout beyond gemma3's ({@code headDim}, {@code nHeadKv}: the sliding-window layers'):
     * global layers have {@code headDimGlobal} heads over {@code nHeadKvGlobal} KV heads, rotate
     * {@code ropePairsGlobal} of their pairs ({@code rope_freqs} 1, the rest 1e30) and, when
     * {@code globalVIsK}, have no {@code attn_v} (V = K); the last {@code sharedKvLayers} layers
     * reuse earlier caches; {@code perLayerInput} > 0 adds E-model per-layer embeddings of that width.
     */
    public record Gemma4(int headDimGlobal, int nHeadKvGlobal, int ropePairsGlobal, boolean globalVIsK, int sharedKvLayers, int perLayerInput) {
        public Gemma4 {
            if (headDimGlobal <= 0 || headDimGlobal % 2 != 0 || nHeadKvGlobal <= 0 || ropePairsGlobal < 0 || ropePairsGlobal > headDimGlobal / 2
                    || sharedKvLayers < 0 || perLayerInput < 0) {
                throw new IllegalArgumentException("gemma4 layout out of range: " + this);
            }
        }
    }

    /**
     * Mixture-of-experts FFN shape: {@code nExpert} experts ({@code expert_count}), {@code nExpertUsed}
     * of them per token ({@code expert_used_count}), each with an FFN of {@code nFfExp}
     * ({@code expert_feed_forward_length}).
     */
    public record Moe(int nExpert, int nExpertUsed, int nFfExp) {
        public Moe {
            if (nExpert <= 0 || nExpertUsed <= 0 || nExpertUsed > nExpert || nFfExp <= 0) {
                throw new IllegalArgumentException("experts: need 0 < used <= count and a positive FFN length: " + this);
            }
        }
    }

    /**
     * The scaled-down test model of {@code arch} ({@code ggufc synth --preset ARCH-tiny}): 2 layers, 4
     * query heads of dimension 64 over 2 KV heads (GQA), FFN 512, context 256, seed 1, separate
     * output matrix. qwen2: n_embd 256, Q/K/V biases, RoPE base 1e6, rms eps 1e-6. qwen3: n_embd 192
     * (so the 4 x 64 query width is not n_embd), RoPE base 1e6, rms eps 1e-6. phi3 and llama: n_embd
     * 256, RoPE base 10000, rms eps 1e-5.
     */
    public static Config tiny(String arch) {
        if (arch.equals("gemma4-moe")) {
            // 26B-A4B's layout in 4 layers (1 and 3 global, V = K, a quarter of their pairs rotated; no shared KV, no per-layer
            // embeddings): a dense GeGLU FFN of 256 beside 8 experts of 64, 2 per token
            return new Config(256, 256, 4, 4, 2, 256, 1, 1e-6f, 1e6f, false, false, "gemma4", 64, 4, 2, 0f, 5f, new Moe(8, 2, 64),
                    new Gemma4(128, 1, 16, true, 0, 0));
        }
        if (arch.equals("gemma4")) {
            // 6 layers, every 2nd global (1, 3, 5); sliding-window layers 4 query heads of 64 over 2 KV heads, global ones of 128
            // over 1 KV head with V = K and 16 of 64 pairs rotated; layers 4 and 5 read the caches of 2 and 3; per-layer
            // embeddings of 32; final soft-capping at 5 (logits ~1, the current token's larger)
            return new Config(256, 512, 6, 4, 2, 256, 1, 1e-6f, 1e6f, false, false, "gemma4", 64, 4, 2, 0f, 5f, null,
                    new Gemma4(128, 1, 16, true, 2, 32));
        }
        if (arch.equals("gemma2")) {
            // 4 layers, even ones local (llama.cpp's default pattern 2) with a 4-key window; caps of 2 (attention scores,
            // ~1 here) and 5 (logits: ~1, the current token's ~16): both bend the values without flattening them
            return new Config(256, 512, 4, 4, 2, 256, 1, 1e-6f, 10000f, true, false, "gemma2", 64, 4, 0, 2f, 5f);
        }
        if (arch.equals("gemma3")) {
            // 4 layers, every 3rd global (0, 1, 3 local, 2 global); a 4-key window, so a 10-token prompt needs it
            return new Config(256, 512, 4, 4, 2, 256, 1, 1e-6f, 1e6f, false, false, "gemma3", 64, 4, 3);
        }
        if (arch.equals("qwen3moe")) {
            // qwen3-tiny's attention; 8 experts of FFN 128, 2 per token (the router's logits are ~N(0, 1), so the
            // choice changes from token to token and layer to layer)
            return new Config(192, 512, 2, 4, 2, 256, 1, 1e-6f, 1e6f, false, false, arch, 64, 0, 0, 0f, 0f, new Moe(8, 2, 128));
        }
        Config c = new Config(arch.equals("qwen3") ? 192 : 256, 512, 2, 4, 2, 256, 1, 1e-5f, 10000f, false, false, arch, arch.equals("qwen3") ? 64 : 0);
        return arch.startsWith("qwen") ? c.withRope(1e6f, 1e-6f) : c;
    }

    /**
     * Real layer shapes of {@code arch} ({@code ggufc synth --preset}): qwen2 is Qwen2.5-7B (3584 embd,
     * 28 layers, 28 heads, 4 KV heads, FFN 18944), qwen3 is Qwen3-8B (4096 embd, 36 layers, 32 heads
     * of 128, 8 KV heads, FFN 12288), phi3 is Phi-3-mini-4k (3072 embd, 32 layers, 32 heads of 96,
     * FFN 8192); separate output matrices.
     */
    public static Config realShape(String arch) {
        return switch (arch) {
            case "qwen2" -> new Config(3584, 18944, 28, 28, 4, 32768, 1, 1e-6f, 1e6f, false, false, "qwen2", 0);
            case "qwen3" -> new Config(4096, 12288, 36, 32, 8, 40960, 1, 1e-6f, 1e6f, false, false, "qwen3", 128);
            // Qwen3-30B-A3B: 2048 embd, 48 layers, 32 heads of 128, 4 KV heads, 128 experts of FFN 768, 8 per token
            // (feed_forward_length 6144 as its GGUF says; no dense FFN tensors)
            case "qwen3moe" -> new Config(2048, 6144, 48, 32, 4, 40960, 1, 1e-6f, 1e6f, false, false, "qwen3moe", 128, 0, 0, 0f, 0f, new Moe(128, 8, 768));
            case "phi3" -> new Config(3072, 8192, 32, 32, 32, 4096, 1, 1e-5f, 10000f, false, false, "phi3", 0);
            // Gemma 3 1B (google/gemma-3-1b-it): 1152 embd, 26 layers, 4 heads of 256, 1 KV head, FFN 6912,
            // sliding window 512 on 5 of every 6 layers (the pattern key is not written: llama.cpp's default 6), tied output
            case "gemma3" -> new Config(1152, 6912, 26, 4, 1, 32768, 1, 1e-6f, 1e6f, true, false, "gemma3", 256, 512, 0);
            // Gemma 2 2B (google/gemma-2-2b): 2304 embd, 26 layers, 8 heads of 256, 4 KV heads, FFN 9216, window 4096 on
            // alternate layers (pattern key not written: llama.cpp's default 2), caps 50 and 30, tied output, RoPE base 10000
            case "gemma2" -> new Config(2304, 9216, 26, 8, 4, 8192, 1, 1e-6f, 10000f, true, false, "gemma2", 256, 4096, 0, 50f, 30f);
            // Gemma 4 31B: 5376 embd, 60 layers, 32 query heads, sliding-window layers (5 of 6, a 1024-key window) 256-wide heads
            // over 16 KV heads, global layers 512-wide over 4 KV heads with V = K and a quarter of their pairs rotated, FFN 21504,
            // soft-capping 30, tied output
            case "gemma4" -> new Config(5376, 21504, 60, 32, 16, 131072, 1, 1e-6f, 1e6f, true, false, "gemma4", 256, 1024, 6, 0f, 30f, null,
                    new Gemma4(512, 4, 64, true, 0, 0));
            // Gemma 4 E2B: 1536 embd, 35 layers, 8 query heads, 1 KV head, heads of 256 (global 512), FFN 6144, a 512-key window
            // on 4 of 5 layers, the last 20 layers sharing KV, per-layer embeddings of 256, tied output
            case "gemma4-e2b" -> new Config(1536, 6144, 35, 8, 1, 131072, 1, 1e-6f, 1e6f, true, false, "gemma4", 256, 512, 5, 0f, 30f, null,
                    new Gemma4(512, 1, 64, false, 20, 256));
            // Gemma 4 26B-A4B: 2816 embd, 30 layers, 16 query heads, sliding-window layers (5 of 6, 1024 keys) 256-wide over 8 KV
            // heads, global ones 512-wide over 2 with V = K; a dense GeGLU FFN of 2112 beside 128 experts of 704, 8 per token
            case "gemma4-26b-a4b" -> new Config(2816, 2112, 30, 16, 8, 131072, 1, 1e-6f, 1e6f, true, false, "gemma4", 256, 1024, 6, 0f, 30f,
                    new Moe(128, 8, 704), new Gemma4(512, 2, 64, true, 0, 0));
            // Llama 3.2 1B: 2048 embd, 16 layers, 32 heads, 8 KV heads, FFN 8192, tied output, RoPE base 500000
            case "llama-3.2-1b" -> new Config(2048, 8192, 16, 32, 8, 131072, 1, 1e-5f, 500000f, true, false);
            // Llama 2 7B: 4096 embd, 32 layers, 32 heads (no GQA), FFN 11008, RoPE base 10000, separate output (vocab 32000)
            case "llama-2-7b" -> new Config(4096, 11008, 32, 32, 32, 4096, 1, 1e-5f, 10000f, false, false);
            // Llama 3.1 8B: 4096 embd, 32 layers, 32 heads, 8 KV heads, FFN 14336, separate output
            case "llama-3.1-8b" -> new Config(4096, 14336, 32, 32, 8, 131072, 1, 1e-5f, 500000f, false, false);
            // Llama 3 70B: 8192 embd, 80 layers, 64 heads, 8 KV heads, FFN 28672, separate output
            case "llama-3-70b" -> new Config(8192, 28672, 80, 64, 8, 8192, 1, 1e-5f, 500000f, false, false);
            // Qwen3-14B: 5120 embd, 40 layers, 40 heads of 128, 8 KV heads, FFN 17408
            case "qwen3-14b" -> new Config(5120, 17408, 40, 40, 8, 40960, 1, 1e-6f, 1e6f, false, false, "qwen3", 128);
            // Qwen3-32B: 5120 embd, 64 layers, 64 heads of 128 (8192 wide), 8 KV heads, FFN 25600
            case "qwen3-32b" -> new Config(5120, 25600, 64, 64, 8, 40960, 1, 1e-6f, 1e6f, false, false, "qwen3", 128);
            default -> throw new IllegalArgumentException("no real-shape preset for '" + arch + "' (qwen2, qwen3, qwen3moe, phi3, gemma2, gemma3, gemma4, gemma4-e2b, gemma4-26b-a4b, llama-2-7b, llama-3.2-1b, llama-3.1-8b, llama-3-70b, qwen3-14b, qwen3-32b)");
        };
    }

    /** A tensor of the model: name and ggml shape ({@code ne[0]} innermost). */
    public record TensorSpec(String name, long[] ne) {
        public long elements() {
            long n = 1;
            for (long d : ne) n *= d;
            return n;
        }
    }

    /** Chooses each tensor's type. */
    @FunctionalInterface
    public interface TypePolicy {
        GgmlType typeFor(String name, long[] ne);

        /**
         * {@code t} for matrices; 1-D tensors (norms), the expert routers ({@code ffn_gate_inp}) and Gemma 4's
         * per_layer_model_proj stay F32, and matrices whose rows are not whole blocks of {@code t} fall back to
         * F16, as llama.cpp (llama-quantize) does.
         */
        static TypePolicy uniform(GgmlType t) {
            return (name, ne) -> ne.length < 2 || name.contains("ffn_gate_inp") || name.startsWith("per_layer_model_proj") ? GgmlType.F32
                    : ne[0] % t.blockSize() == 0 ? t : GgmlType.F16;
        }

        /**
         * llama-quantize's Q4_K_M mix, simplified: Q4_K, with Q6_K for the output matrix (the token embedding
         * when tied) and for attn_v and ffn_down(_exps) in the first and last eighth of the layers and every third
         * layer between (its {@code use_more_bits}); the rest as {@link #uniform}.
         */
        static TypePolicy q4KM(int nLayer) {
            TypePolicy base = uniform(GgmlType.Q4_K);
            return (name, ne) -> {
                GgmlType t = base.typeFor(name, ne);
                if (t != GgmlType.Q4_K) return t;
                if (name.equals("output.weight")) return GgmlType.Q6_K;
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("blk\\.(\\d+)\\.(attn_v|ffn_down|ffn_down_exps)\\.weight").matcher(name);
                if (m.matches()) {
                    int i = Integer.parseInt(m.group(1));
                    boolean more = i < nLayer / 8 || i >= 7 * nLayer / 8 || (i - nLayer / 8) % 3 == 2;
                    if (more) return GgmlType.Q6_K;
                }
                return t;
            };
        }
    }

    /** The tensors in llama.cpp's usual order (token_embd, output_norm, output, then per block). */
    public static List<TensorSpec> tensors(Config c, int nVocab) {
        if (c.arch().equals("gemma4")) return gemma4Tensors(c, nVocab);
        List<TensorSpec> r = new ArrayList<>();
        long e = c.nEmbd(), q = c.nEmbdQ(), kv = c.nEmbdKv(), ff = c.nFf(), hd = c.headDim();
        r.add(new TensorSpec("token_embd.weight", new long[] {e, nVocab}));
        r.add(new TensorSpec("output_norm.weight", new long[] {e}));
        if (!c.tiedOutput()) r.add(new TensorSpec("output.weight", new long[] {e, nVocab}));
        for (int i = 0; i < c.nLayer(); i++) {
            String b = "blk." + i + ".";
            r.add(new TensorSpec(b + "attn_norm.weight", new long[] {e}));
            if (c.arch().equals("phi3")) {
                r.add(new TensorSpec(b + "attn_qkv.weight", new long[] {e, q + 2 * kv}));
            } else {
                r.add(new TensorSpec(b + "attn_q.weight", new long[] {e, q}));
                r.add(new TensorSpec(b + "attn_k.weight", new long[] {e, kv}));
                r.add(new TensorSpec(b + "attn_v.weight", new long[] {e, kv}));
            }
            if (c.arch().equals("qwen2")) {
                r.add(new TensorSpec(b + "attn_q.bias", new long[] {q}));
                r.add(new TensorSpec(b + "attn_k.bias", new long[] {kv}));
                r.add(new TensorSpec(b + "attn_v.bias", new long[] {kv}));
            }
            boolean gemma = c.arch().startsWith("gemma");
            if (c.arch().startsWith("qwen3") || c.arch().equals("gemma3")) {
                r.add(new TensorSpec(b + "attn_q_norm.weight", new long[] {hd}));
                r.add(new TensorSpec(b + "attn_k_norm.weight", new long[] {hd}));
            }
            r.add(new TensorSpec(b + "attn_output.weight", new long[] {q, e}));
            if (gemma) r.add(new TensorSpec(b + "post_attention_norm.weight", new long[] {e}));
            r.add(new TensorSpec(b + "ffn_norm.weight", new long[] {e}));
            if (gemma) r.add(new TensorSpec(b + "post_ffw_norm.weight", new long[] {e}));
            if (c.moe() != null) {
                long ne = c.moe().nExpert(), fe = c.moe().nFfExp();
                r.add(new TensorSpec(b + "ffn_gate_inp.weight", new long[] {e, ne}));
                r.add(new TensorSpec(b + "ffn_gate_exps.weight", new long[] {e, fe, ne}));
                r.add(new TensorSpec(b + "ffn_down_exps.weight", new long[] {fe, e, ne}));
                r.add(new TensorSpec(b + "ffn_up_exps.weight", new long[] {e, fe, ne}));
            } else if (c.arch().equals("phi3")) {
                r.add(new TensorSpec(b + "ffn_down.weight", new long[] {ff, e}));
                r.add(new TensorSpec(b + "ffn_up.weight", new long[] {e, 2 * ff}));
            } else {
                r.add(new TensorSpec(b + "ffn_gate.weight", new long[] {e, ff}));
                r.add(new TensorSpec(b + "ffn_down.weight", new long[] {ff, e}));
                r.add(new TensorSpec(b + "ffn_up.weight", new long[] {e, ff}));
            }
        }
        return r;
    }

    /** Whether layer {@code l} is global (not sliding-window): every {@code swaPattern}-th layer. */
    public static boolean globalLayer(Config c, int l) { return c.swaPattern() > 0 && l % c.swaPattern() == c.swaPattern() - 1; }

    /** gemma4's tensors, as llama.cpp's loader reads them (see {@link Gemma4}). */
    private static List<TensorSpec> gemma4Tensors(Config c, int nVocab) {
        Gemma4 g = c.gemma4();
        List<TensorSpec> r = new ArrayList<>();
        long e = c.nEmbd(), ff = c.nFf(), p = g.perLayerInput(), nl = c.nLayer();
        r.add(new TensorSpec("token_embd.weight", new long[] {e, nVocab}));
        if (p > 0) {
            r.add(new TensorSpec("per_layer_token_embd.weight", new long[] {p * nl, nVocab}));
            r.add(new TensorSpec("per_layer_model_proj.weight", new long[] {e, p * nl}));
            r.add(new TensorSpec("per_layer_proj_norm.weight", new long[] {p}));
        }
        r.add(new TensorSpec("output_norm.weight", new long[] {e}));
        if (!c.tiedOutput()) r.add(new TensorSpec("output.weight", new long[] {e, nVocab}));
        r.add(new TensorSpec("rope_freqs.weight", new long[] {g.headDimGlobal() / 2}));
        for (int i = 0; i < c.nLayer(); i++) {
            String b = "blk." + i + ".";
            boolean global = globalLayer(c, i), hasKv = i < c.nLayer() - g.sharedKvLayers();
            long hd = global ? g.headDimGlobal() : c.headDim(), kvh = global ? g.nHeadKvGlobal() : c.nHeadKv();
            r.add(new TensorSpec(b + "attn_norm.weight", new long[] {e}));
            r.add(new TensorSpec(b + "attn_q.weight", new long[] {e, hd * c.nHead()}));
            if (hasKv) {
                r.add(new TensorSpec(b + "attn_k.weight", new long[] {e, hd * kvh}));
                if (!(global && g.globalVIsK())) r.add(new TensorSpec(b + "attn_v.weight", new long[] {e, hd * kvh}));
            }
            r.add(new TensorSpec(b + "attn_q_norm.weight", new long[] {hd}));
            if (hasKv) r.add(new TensorSpec(b + "attn_k_norm.weight", new long[] {hd}));
            r.add(new TensorSpec(b + "attn_output.weight", new long[] {hd * c.nHead(), e}));
            r.add(new TensorSpec(b + "post_attention_norm.weight", new long[] {e}));
            r.add(new TensorSpec(b + "ffn_norm.weight", new long[] {e}));
            r.add(new TensorSpec(b + "ffn_gate.weight", new long[] {e, ff}));
            r.add(new TensorSpec(b + "ffn_up.weight", new long[] {e, ff}));
            r.add(new TensorSpec(b + "ffn_down.weight", new long[] {ff, e}));
            r.add(new TensorSpec(b + "post_ffw_norm.weight", new long[] {e}));
            if (c.moe() != null) {
                // 26B-A4B: the experts beside the dense FFN, with a scaled router, merged gate/up and per-expert down scales
                long ne = c.moe().nExpert(), fe = c.moe().nFfExp();
                r.add(new TensorSpec(b + "ffn_gate_inp.weight", new long[] {e, ne}));
                r.add(new TensorSpec(b + "ffn_gate_inp.scale", new long[] {e}));
                r.add(new TensorSpec(b + "pre_ffw_norm_2.weight", new long[] {e}));
                r.add(new TensorSpec(b + "post_ffw_norm_1.weight", new long[] {e}));
                r.add(new TensorSpec(b + "post_ffw_norm_2.weight", new long[] {e}));
                r.add(new TensorSpec(b + "ffn_gate_up_exps.weight", new long[] {e, 2 * fe, ne}));
                r.add(new TensorSpec(b + "ffn_down_exps.weight", new long[] {fe, e, ne}));
                r.add(new TensorSpec(b + "ffn_down_exps.scale", new long[] {ne}));
            }
            if (p > 0) {
                r.add(new TensorSpec(b + "inp_gate.weight", new long[] {e, p}));
                r.add(new TensorSpec(b + "proj.weight", new long[] {p, e}));
                r.add(new TensorSpec(b + "post_norm.weight", new long[] {e}));
            }
            r.add(new TensorSpec(b + "layer_output_scale.weight", new long[] {1}));
        }
        return r;
    }

    /** The model's metadata: the architecture's hyperparameters plus every {@code tokenizer.*} key of {@code vocab}. */
    public static Map<String, GgufValue> metadata(Config c, GgufFile vocab, GgmlType mainType) {
        java.util.LinkedHashMap<String, GgufValue> tok = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, GgufValue> e : vocab.metadata().entrySet()) {
            if (e.getKey().startsWith("tokenizer.")) tok.put(e.getKey(), e.getValue());
        }
        return metadata(c, vocabSize(vocab), tok, mainType);
    }

    /**
     * A placeholder tokenizer of {@code nVocab} tokens ({@code <t0>}, {@code <t1>}, ...; SPM model, token 1 BOS, 2 EOS)
     * for header-only files, whose vocabulary size must be the real model's but whose text is never tokenized.
     */
    public static Map<String, GgufValue> placeholderTokenizer(int nVocab) {
        java.util.LinkedHashMap<String, GgufValue> m = new java.util.LinkedHashMap<>();
        List<String> toks = new ArrayList<>(nVocab);
        for (int i = 0; i < nVocab; i++) toks.add("<t" + i + ">");
        int[] types = new int[nVocab];
        java.util.Arrays.fill(types, 1);
        m.put("tokenizer.ggml.model", GgufValue.of("llama"));
        m.put("tokenizer.ggml.tokens", GgufValue.strings(toks));
        m.put("tokenizer.ggml.scores", GgufValue.floats(new float[nVocab]));
        m.put("tokenizer.ggml.token_type", GgufValue.ints(types));
        m.put("tokenizer.ggml.bos_token_id", GgufValue.u32(1));
        m.put("tokenizer.ggml.eos_token_id", GgufValue.u32(2));
        return m;
    }

    /**
     * Writes only the header of {@code c}'s model ({@link GgufWriter#writeHeader}: metadata, a placeholder tokenizer of
     * {@code nVocab} tokens, every tensor's name, shape and type, no data) with {@link GgufFile#HEADER_ONLY_KEY} set;
     * {@link GgufFile#openHeader} reads it and the lifters build its graph.
     */
    public static void writeHeader(Path out, Config c, int nVocab, TypePolicy types) {
        GgmlType main = types.typeFor("blk.0.attn_output.weight", new long[] {c.nEmbdQ(), c.nEmbd()});
        GgufWriter w = new GgufWriter().putAll(metadata(c, nVocab, placeholderTokenizer(nVocab), main));
        w.put(GgufFile.HEADER_ONLY_KEY, GgufValue.bool(true));
        for (TensorSpec s : tensors(c, nVocab)) w.tensor(s.name(), types.typeFor(s.name(), s.ne()), s.ne(), seg -> {});
        w.writeHeader(out);
    }

    /** The model's metadata with the given vocabulary size and {@code tokenizer.*} keys. */
    public static Map<String, GgufValue> metadata(Config c, int nVocab, Map<String, GgufValue> tokenizer, GgmlType mainType) {
        java.util.LinkedHashMap<String, GgufValue> m = new java.util.LinkedHashMap<>();
        String a = c.arch();
        m.put("general.architecture", GgufValue.of(a));
        // llama.cpp gives a model named like "phi3"/"phi-3" Phi-3 token attributes, looking up "</s>" and
        // "<|endoftext|>", which a borrowed vocabulary may lack: the phi3 name avoids both spellings
        m.put("general.name", GgufValue.of(a.equals("phi3") ? "synthetic phi 3 layout" : "synthetic-" + a));
        Integer ftype = fileType(mainType);
        if (ftype != null) m.put("general.file_type", GgufValue.u32(ftype));
        if (mainType.dtype().isQuantized()) m.put("general.quantization_version", GgufValue.u32(2));
        m.put(a + ".vocab_size", GgufValue.u32(nVocab));
        m.put(a + ".context_length", GgufValue.u32(c.contextLength()));
        m.put(a + ".embedding_length", GgufValue.u32(c.nEmbd()));
        m.put(a + ".block_count", GgufValue.u32(c.nLayer()));
        m.put(a + ".feed_forward_length", GgufValue.u32(c.nFf()));
        m.put(a + ".attention.head_count", GgufValue.u32(c.nHead()));
        m.put(a + ".attention.head_count_kv", GgufValue.u32(c.nHeadKv()));
        if (c.moe() != null) {
            m.put(a + ".expert_count", GgufValue.u32(c.moe().nExpert()));
            m.put(a + ".expert_used_count", GgufValue.u32(c.moe().nExpertUsed()));
            m.put(a + ".expert_feed_forward_length", GgufValue.u32(c.moe().nFfExp()));
        }
        if (a.startsWith("qwen3") || a.startsWith("gemma") || c.headDim() * c.nHead() != c.nEmbd()) {
            m.put(a + ".attention.key_length", GgufValue.u32(c.headDim()));
            m.put(a + ".attention.value_length", GgufValue.u32(c.headDim()));
        }
        m.put(a + ".rope.dimension_count", GgufValue.u32(c.headDim()));
        m.put(a + ".rope.freq_base", GgufValue.f32(c.ropeFreqBase()));
        m.put(a + ".attention.layer_norm_rms_epsilon", GgufValue.f32(c.rmsEps()));
        if (c.slidingWindow() > 0) m.put(a + ".attention.sliding_window", GgufValue.u32(c.slidingWindow()));
        if (c.swaPattern() > 0) m.put(a + ".attention.sliding_window_pattern", GgufValue.u32(c.swaPattern()));
        if (c.attnSoftcap() > 0) m.put(a + ".attn_logit_softcapping", GgufValue.f32(c.attnSoftcap()));
        if (c.finalSoftcap() > 0) m.put(a + ".final_logit_softcapping", GgufValue.f32(c.finalSoftcap()));
        if (c.gemma4() != null) {
            Gemma4 g = c.gemma4();
            int[] kvHeads = new int[c.nLayer()];
            boolean[] swa = new boolean[c.nLayer()];
            for (int i = 0; i < c.nLayer(); i++) {
                swa[i] = !globalLayer(c, i);
                kvHeads[i] = swa[i] ? c.nHeadKv() : g.nHeadKvGlobal();
            }
            m.put(a + ".attention.head_count_kv", GgufValue.ints(kvHeads));
            m.put(a + ".attention.key_length", GgufValue.u32(g.headDimGlobal()));
            m.put(a + ".attention.value_length", GgufValue.u32(g.headDimGlobal()));
            m.put(a + ".attention.key_length_swa", GgufValue.u32(c.headDim()));
            m.put(a + ".attention.value_length_swa", GgufValue.u32(c.headDim()));
            m.put(a + ".rope.dimension_count", GgufValue.u32(g.headDimGlobal()));
            m.put(a + ".rope.dimension_count_swa", GgufValue.u32(c.headDim()));
            m.put(a + ".rope.freq_base_swa", GgufValue.f32(10000f));
            m.put(a + ".attention.sliding_window_pattern", GgufValue.bools(swa));
            m.put(a + ".attention.shared_kv_layers", GgufValue.u32(g.sharedKvLayers()));
            m.put(a + ".embedding_length_per_layer_input", GgufValue.u32(g.perLayerInput()));
        }
        m.put("synthetic.seed", GgufValue.u64(c.seed()));
        m.put("synthetic.stress_blocks", GgufValue.bool(c.stressBlocks()));
        m.putAll(tokenizer);
        return m;
    }

    public static int vocabSize(GgufFile vocab) {
        if (!vocab.has("tokenizer.ggml.tokens")) throw vocab.fail("has no tokenizer.ggml.tokens to copy a vocabulary from");
        return vocab.getStringArray("tokenizer.ggml.tokens").size();
    }

    /** llama.cpp's {@code general.file_type} for a model mostly of type {@code t}, or null. */
    static Integer fileType(GgmlType t) {
        return switch (t) {
            case F32 -> 0; case F16 -> 1; case Q4_0 -> 2; case Q4_1 -> 3; case Q8_0 -> 7; case Q5_0 -> 8; case Q5_1 -> 9;
            case Q2_K -> 10; case Q3_K -> 11; case Q4_K -> 14; case Q5_K -> 16; case Q6_K -> 18; case BF16 -> 32;
            default -> null;
        };
    }

    /** Writes the model; tensors are generated and quantized straight into the mapped file, a few rows at a time. */
    public static void write(Path out, Config c, GgufFile vocab, TypePolicy types) {
        write(out, c, vocab, types, (name, elements) -> {});
    }

    /** Progress of {@link #write}: called after each tensor with its name and element count. */
    public interface Progress {
        void tensorWritten(String name, long elements);
    }

    /** As {@link #write(Path, Config, GgufFile, TypePolicy)}, reporting each tensor as it is written. */
    public static void write(Path out, Config c, GgufFile vocab, TypePolicy types, Progress progress) {
        write(out, c, vocab, types, progress, (name, ne, first, n, buf) -> fillRows(c, name, ne, first, n, buf));
    }

    /** Values of rows {@code [first, first + n)} of tensor {@code name} (ggml shape {@code ne}) into {@code out}. */
    public interface RowFiller {
        void fill(String name, long[] ne, long first, int n, float[] out);
    }

    /** As above with the tensors' values from {@code filler} instead of the seeded random rows. */
    public static void write(Path out, Config c, GgufFile vocab, TypePolicy types, Progress progress, RowFiller filler) {
        GgmlType main = types.typeFor("blk.0.attn_output.weight", new long[] {c.nEmbdQ(), c.nEmbd()});
        writeTensors(out, metadata(c, vocab, main), tensors(c, vocabSize(vocab)), types, progress, filler);
    }

    /** Writes a GGUF of {@code metadata} and {@code specs}, generated by {@code filler} and quantized straight into the mapped file, a few rows at a time. */
    public static void writeTensors(Path out, Map<String, GgufValue> metadata, List<TensorSpec> specs, TypePolicy types, Progress progress, RowFiller filler) {
        GgufWriter w = new GgufWriter().putAll(metadata);
        for (TensorSpec s : specs) {
            GgmlType t = types.typeFor(s.name(), s.ne());
            long rowLen = s.ne()[0], rows = s.elements() / rowLen;
            if (rowLen % t.blockSize() != 0) {
                throw new IllegalArgumentException(s.name() + ": rows of " + rowLen + " elements are not whole " + t + " blocks");
            }
            long rowBytes = t.dtype().bytesFor(rowLen);
            int chunk = (int) Math.max(1, Math.min(rows, (1 << 20) / rowLen));
            w.tensor(s.name(), t, s.ne(), seg -> {
                float[] buf = new float[(int) (chunk * rowLen)];
                for (long r = 0; r < rows; r += chunk) {
                    int n = (int) Math.min(chunk, rows - r);
                    filler.fill(s.name(), s.ne(), r, n, buf);
                    BlockCodecs.quantize(t.dtype(), buf, 0, (int) (n * rowLen), seg, r * rowBytes);
                }
                progress.tensorWritten(s.name(), s.elements());
            });
        }
        w.write(out);
    }

    /** All values of one tensor (ggml order). */
    public static float[] weights(Config c, String name, long[] ne) {
        long n = 1;
        for (long d : ne) n *= d;
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(name + " is too large for one float[]");
        float[] out = new float[(int) n];
        fillRows(c, name, ne, 0, (int) (n / ne[0]), out);
        return out;
    }

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    /** Rows [first, first+n) of the tensor into {@code out[0 .. n*ne[0])}. */
    public static void fillRows(Config c, String name, long[] ne, long first, int n, float[] out) {
        long rowLen = ne[0];
        boolean norm = ne.length == 1 && !name.endsWith(".bias");
        boolean bias = name.endsWith(".bias");
        // fan-in of a matrix is its row length; the embedding table is read one row per token
        // (unit-variance embedding rows, scaled by sqrt(n_embd) in gemma, keep the stream well above each layer's contribution:
        // with trained-like rows of ~1/sqrt(n_embd), gemma4-tiny's logits move by up to 4e-4 in llama.cpp itself when one weight
        // matrix moves by one ulp, as GELU's f16 table turns last-bit differences into f16 steps; see README, Architectures)
        float std = name.equals("token_embd.weight") ? 1f : (float) (1.0 / Math.sqrt(rowLen));
        // gemma2's tied output reads the unit-variance embedding rows: an output norm of ~1/sqrt(n_embd) keeps its logits
        // near 1 (a token's own ~16) instead of ~16 (~250)
        float normScale = c.arch().equals("gemma2") && name.equals("output_norm.weight") ? (float) (1.0 / Math.sqrt(rowLen)) : 1f;
        // gemma4 attends with scale 1: q/k norm weights of head_dim^(-1/4) give its scores the spread of a 1/sqrt(head_dim) scale
        // (random unit norms would give scores of ~sqrt(head_dim), a softmax so sharp that f32 rounding moves logits by 1e-3)
        if (c.arch().equals("gemma4") && (name.endsWith("attn_q_norm.weight") || name.endsWith("attn_k_norm.weight"))) normScale = (float) Math.pow(rowLen, -0.25);
        long base = c.seed() ^ fnv(name);
        if (name.equals("rope_freqs.weight")) {
            // Gemma 4's partial rotation: pairs past ropePairsGlobal get a 1e30 divisor, so they stay put
            for (int r = 0; r < n; r++) {
                for (int j = 0; j < rowLen; j++) out[(int) (r * rowLen + j)] = j < c.gemma4().ropePairsGlobal() ? 1f : 1e30f;
            }
            return;
        }
        for (int r = 0; r < n; r++) {
            long row = first + r;
            for (long j = 0; j < rowLen; j++) {
                long idx = row * rowLen + j;
                // splitmix64 is a counter: element idx uses draws 4*idx .. 4*idx+3 of the tensor's stream
                long s = base + 4 * idx * GOLDEN;
                float u = uni(s += GOLDEN) + uni(s += GOLDEN) + uni(s += GOLDEN) + uni(s + GOLDEN) - 2f;
                float g = u * 1.7320508f; // sum of 4 U(0,1) has variance 1/3
                float v = norm ? (1f + 0.1f * g) * normScale : bias ? 0.2f * g : std * g;
                if (c.stressBlocks() && ne.length > 1 && row < 4) v = stress((int) row, (int) j, g, std);
                out[(int) (r * rowLen + j)] = v;
            }
        }
    }

    private static float stress(int row, int j, float g, float std) {
        return switch (row) {
            case 0 -> switch ((j / 32) % 8) {
                case 0 -> 0f;
                case 1 -> g * std * 1e-6f;
                case 2 -> g * std * 1e3f;
                case 3 -> j % 32 == (j / 32 * 7) % 32 ? 50f * std : g * std * 0.01f;
                case 4 -> 0.5f * std;
                case 5 -> -0.75f * std;
                case 6 -> (j & 1) == 0 ? std : -std;
                default -> g * std;
            };
            case 1 -> 0f;
            case 2 -> g * std * 1e-5f;
            default -> j == 5 ? 3e4f * std : g * std * 1e3f;
        };
    }

    private static float uni(long state) {
        long z = state;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 40) * 0x1.0p-24f;
    }

    private static long fnv(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /**
     * {@code SyntheticLlama --vocab SRC.gguf --out OUT.gguf [--n-embd 256] [--n-ff 256] [--n-layer 1]
     * [--n-head 4] [--n-head-kv 2] [--ctx 256] [--seed 1] [--type f32] [--tied] [--stress] [--arch llama] [--head-dim 0]}
     */
    public static void main(String[] args) {
        Map<String, String> a = new java.util.HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String k = args[i];
            if (k.equals("--tied") || k.equals("--stress")) a.put(k, "true");
            else if (k.startsWith("--") && i + 1 < args.length) a.put(k, args[++i]);
            else throw new IllegalArgumentException("unexpected argument " + k);
        }
        if (!a.containsKey("--vocab") || !a.containsKey("--out")) {
            System.err.println("usage: SyntheticLlama --vocab SRC.gguf --out OUT.gguf [--n-embd 256] [--n-ff 256] [--n-layer 1] "
                    + "[--n-head 4] [--n-head-kv 2] [--ctx 256] [--seed 1] [--type f32] [--tied] [--stress] [--arch llama] [--head-dim 0]");
            System.exit(2);
        }
        Config c = new Config(intArg(a, "--n-embd", 256), intArg(a, "--n-ff", 256), intArg(a, "--n-layer", 1),
                intArg(a, "--n-head", 4), intArg(a, "--n-head-kv", 2), intArg(a, "--ctx", 256),
                Long.parseLong(a.getOrDefault("--seed", "1")), 1e-5f, 10000f, a.containsKey("--tied"), a.containsKey("--stress"),
                a.getOrDefault("--arch", "llama"), intArg(a, "--head-dim", 0));
        GgmlType t = GgmlType.valueOf(a.getOrDefault("--type", "f32").toUpperCase(Locale.ROOT));
        try (GgufFile vocab = GgufFile.open(Path.of(a.get("--vocab")))) {
            write(Path.of(a.get("--out")), c, vocab, TypePolicy.uniform(t));
        }
    }

    private static int intArg(Map<String, String> a, String k, int dflt) {
        return a.containsKey(k) ? Integer.parseInt(a.get(k)) : dflt;
    }
}
