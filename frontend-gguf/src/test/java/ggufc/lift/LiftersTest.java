package ggufc.lift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.gguf.GgmlType;
import ggufc.gguf.GgufException;
import ggufc.gguf.GgufFile;
import ggufc.gguf.GgufValue;
import ggufc.gguf.GgufWriter;
import ggufc.gguf.SyntheticLlama;
import ggufc.ir.DType;
import ggufc.ir.Graph;
import ggufc.ir.Node;
import ggufc.ir.OpKind;
import ggufc.ir.Verifier;
import ggufc.ir.text.IrParser;
import ggufc.ir.text.IrPrinter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The architecture registry: each synthetic architecture lifts to a verified graph that prints and
 * parses back, with the ops its diagram calls for; missing or misshaped tensors and refused features
 * are one {@link GgufException} naming the file and the tensor; the real-shape presets' headers
 * (every tensor shape) lift.
 */
class LiftersTest {
    @TempDir
    Path tmp;

    Path vocab() {
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 64; i++) tokens.add("t" + i);
        Path v = tmp.resolve("vocab.gguf");
        new GgufWriter().put("tokenizer.ggml.model", GgufValue.of("llama")).put("tokenizer.ggml.tokens", GgufValue.strings(tokens)).write(v);
        return v;
    }

    static SyntheticLlama.Config small(String arch) {
        return new SyntheticLlama.Config(arch.equals("qwen3") ? 96 : 128, 160, 2, 4, 2, 64, 1, 1e-6f, 1e6f, false, false, arch, arch.equals("qwen3") ? 32 : 0);
    }

    /**
     * Writes {@code c}'s model as SyntheticLlama does, with {@code edit} applied to its tensor list
     * (to drop or reshape one) and {@code extra} tensors added; the data is zeros.
     */
    Path write(SyntheticLlama.Config c, UnaryOperator<List<SyntheticLlama.TensorSpec>> edit, String name) {
        Path out = tmp.resolve(name + ".gguf");
        try (GgufFile v = GgufFile.open(vocab())) {
            GgufWriter w = new GgufWriter().putAll(SyntheticLlama.metadata(c, v, GgmlType.F32));
            for (SyntheticLlama.TensorSpec s : edit.apply(new ArrayList<>(SyntheticLlama.tensors(c, SyntheticLlama.vocabSize(v))))) {
                w.tensor(s.name(), GgmlType.F32, s.ne(), seg -> {});
            }
            w.write(out);
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3", "phi3"})
    void liftsVerifiesAndRoundTrips(String arch) {
        Path file = tmp.resolve(arch + ".gguf");
        try (GgufFile v = GgufFile.open(vocab())) {
            SyntheticLlama.write(file, small(arch), v, SyntheticLlama.TypePolicy.uniform(GgmlType.Q8_0));
        }
        try (GgufFile f = GgufFile.open(file)) {
            Graph g = Lifters.lift(f, new LlamaLifter.Options(64, true, DType.F32));
            assertTrue(Verifier.check(g).isEmpty(), Verifier.check(g).toString());
            assertEquals(arch + "_step", g.name());
            String text = IrPrinter.print(g);
            Graph back = IrParser.parse(text, arch + ".ir");
            assertTrue(g.structurallyEquals(back), "parse(print(g)) differs from g for " + arch);
            assertEquals(f.tensors().size(), g.params().size(), "every tensor of the file is a param");
            List<Node> ropes = g.nodes().stream().filter(n -> n.op() == OpKind.ROPE).toList();
            assertEquals(4, ropes.size());
            for (Node r : ropes) assertEquals(arch.equals("llama") ? "normal" : "neox", r.attrs().string("mode"));
            long norms3 = g.nodes().stream().filter(n -> n.op() == OpKind.RMS_NORM && n.shape().rank() == 3).count();
            assertEquals(arch.equals("qwen3") ? 4 : 0, norms3, "per-head q/k norms");
            long splits = g.nodes().stream().filter(n -> n.op() == OpKind.SPLIT).count();
            assertEquals(arch.equals("phi3") ? 2 * 5 : 0, splits, "fused QKV and gate/up split");
            long biasAdds = g.nodes().stream().filter(n -> n.op() == OpKind.ADD && n.input(1).op() == OpKind.PARAM).count();
            assertEquals(arch.equals("qwen2") ? 2 * 3 : 0, biasAdds, "Q/K/V biases");
            long scales = g.nodes().stream().filter(n -> n.op() == OpKind.SCALE).count();
            assertEquals(arch.equals("phi3") ? 2 : 0, scales, "phi3 scales Q before the dot products");
        }
    }

    static String liftError(Path file) {
        try (GgufFile f = GgufFile.open(file)) {
            GgufException e = assertThrows(GgufException.class, () -> Lifters.lift(f, new LlamaLifter.Options(64, false, DType.F32)));
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
            assertTrue(e.getMessage().contains(file.getFileName().toString()), "names the file: " + e.getMessage());
            return e.getMessage();
        }
    }

    @Test
    void missingQkNormIsOneLineNamingTheTensor() {
        Path f = write(small("qwen3"), l -> {
            l.removeIf(s -> s.name().equals("blk.1.attn_k_norm.weight"));
            return l;
        }, "no-k-norm");
        assertTrue(liftError(f).contains("missing tensor 'blk.1.attn_k_norm.weight'"), liftError(f));
    }

    @Test
    void misshapedFusedQkvIsOneLineNamingTheTensor() {
        Path f = write(small("phi3"), l -> {
            l.replaceAll(s -> s.name().equals("blk.0.attn_qkv.weight") ? new SyntheticLlama.TensorSpec(s.name(), new long[] {128, 3 * 128}) : s);
            return l;
        }, "bad-qkv");
        assertTrue(liftError(f).contains("tensor 'blk.0.attn_qkv.weight' has shape [384, 128], expected [256, 128]"), liftError(f));
    }

    @Test
    void misshapedBiasIsOneLineNamingTheTensor() {
        Path f = write(small("qwen2"), l -> {
            l.replaceAll(s -> s.name().equals("blk.0.attn_k.bias") ? new SyntheticLlama.TensorSpec(s.name(), new long[] {128}) : s);
            return l;
        }, "bad-bias");
        assertTrue(liftError(f).contains("tensor 'blk.0.attn_k.bias' has shape [128], expected [64]"), liftError(f));
    }

    @Test
    void phi3LongRopeIsRefusedByName() {
        Path f = write(small("phi3"), l -> {
            l.add(new SyntheticLlama.TensorSpec("rope_factors_long.weight", new long[] {16}));
            return l;
        }, "longrope");
        assertTrue(liftError(f).contains("tensor 'rope_factors_long.weight': phi3 LongRoPE frequency factors are not supported yet"), liftError(f));
    }

    @Test
    void unknownArchitectureListsTheSupportedOnes() {
        Path renamed = tmp.resolve("gpt2.gguf");
        try (GgufFile v = GgufFile.open(vocab())) {
            GgufWriter w = new GgufWriter();
            for (Map.Entry<String, GgufValue> e : SyntheticLlama.metadata(small("llama"), v, GgmlType.F32).entrySet()) w.put(e.getKey(), e.getValue());
            w.put("general.architecture", GgufValue.of("gpt2"));
            w.write(renamed);
        }
        try (GgufFile r = GgufFile.open(renamed)) {
            GgufException e = assertThrows(GgufException.class, () -> Lifters.requireSupported(r));
            assertTrue(e.getMessage().contains("unsupported architecture 'gpt2' (supported: llama, qwen2, qwen3, qwen3moe, phi3, gemma2, gemma3, gemma4, hy_v3)"), e.getMessage());
        }
    }

    /** A small gemma3: 4 layers, every 3rd global, a 5-key window; head dim 32 with n_embd 128 (4 x 32). */
    static SyntheticLlama.Config gemma(int pattern) {
        return new SyntheticLlama.Config(128, 160, 4, 4, 2, 64, 1, 1e-6f, 1e6f, false, false, "gemma3", 32, 5, pattern);
    }

    Graph liftGemma(Path file) {
        try (GgufFile f = GgufFile.open(file)) {
            Graph g = Lifters.lift(f, new LlamaLifter.Options(64, true, DType.F32));
            assertTrue(Verifier.check(g).isEmpty(), Verifier.check(g).toString());
            Graph back = IrParser.parse(IrPrinter.print(g), "gemma3.ir");
            assertTrue(g.structurallyEquals(back), "parse(print(g)) differs from g");
            assertEquals(f.tensors().size(), g.params().size(), "every tensor of the file is a param");
            return g;
        }
    }

    /** Per layer: the causal mask's window (0: none) and the RoPE base, in layer order. */
    static List<String> layers(Graph g) {
        List<Node> masks = g.nodes().stream().filter(n -> n.op() == OpKind.CAUSAL_MASK).toList();
        List<Node> ropes = g.nodes().stream().filter(n -> n.op() == OpKind.ROPE).toList();
        List<String> r = new ArrayList<>();
        for (int l = 0; l < masks.size(); l++) {
            Node m = masks.get(l);
            r.add((m.attrs().has("window") ? m.attrs().integer("window") : 0) + "@" + (long) ropes.get(2 * l).attrs().real("freq_base"));
        }
        return r;
    }

    @Test
    void gemma3HasItsDiagramAndWindowsOnLocalLayers() {
        Path file = tmp.resolve("gemma3.gguf");
        try (GgufFile v = GgufFile.open(vocab())) {
            SyntheticLlama.write(file, gemma(3), v, SyntheticLlama.TypePolicy.uniform(GgmlType.Q8_0));
        }
        Graph g = liftGemma(file);
        // llama.cpp: layer l is local when l % 3 < 2; local layers rotate with base 10000 (rope.freq_base_swa's default)
        assertEquals(List.of("5@10000", "5@10000", "0@1000000", "5@10000"), layers(g));
        for (Node r : g.nodes()) if (r.op() == OpKind.ROPE) assertEquals("neox", r.attrs().string("mode"));
        List<Double> scales = g.nodes().stream().filter(n -> n.op() == OpKind.SCALE).map(n -> n.attrs().real("factor")).toList();
        // the embedding times sqrt(128), then Q times 1/sqrt(head dim 32) in each layer (llama.cpp computes both in float)
        assertEquals(5, scales.size(), "scales " + scales);
        assertEquals((float) Math.sqrt(128), scales.get(0), 0.0);
        for (double q : scales.subList(1, 5)) assertEquals((float) (1 / Math.sqrt(32)), q, 0.0);
        for (Node n : g.nodes()) if (n.op() == OpKind.ATTN_SCORES) assertEquals(1.0, n.attrs().real("scale"), "Q is pre-scaled");
        assertEquals(8, g.nodes().stream().filter(n -> n.op() == OpKind.RMS_NORM && n.shape().rank() == 3).count(), "per-head q/k norms");
        // attn_norm, post_attention_norm, ffn_norm, post_ffw_norm per layer, and the output norm
        assertEquals(4 * 4 + 1, g.nodes().stream().filter(n -> n.op() == OpKind.RMS_NORM && n.shape().rank() == 2).count());
        assertEquals(4, g.nodes().stream().filter(n -> n.op() == OpKind.GELU).count(), "GeGLU");
        assertEquals(0, g.nodes().stream().filter(n -> n.op() == OpKind.SILU).count());
    }

    @Test
    void gemma3PatternDefaultsToSixAndMayBeAnArray() {
        // no pattern key: llama.cpp's default 6, so all 4 layers are local
        Graph g = liftGemma(write(gemma(0), l -> l, "gemma-default"));
        assertEquals(List.of("5@10000", "5@10000", "5@10000", "5@10000"), layers(g));
        // an array of per-layer flags (as newer converters write)
        SyntheticLlama.Config c = gemma(0);
        Path file = tmp.resolve("gemma-array.gguf");
        try (GgufFile v = GgufFile.open(vocab())) {
            GgufWriter w = new GgufWriter().putAll(SyntheticLlama.metadata(c, v, GgmlType.F32));
            w.put("gemma3.attention.sliding_window_pattern", GgufValue.bools(new boolean[] {true, false, false, true}));
            w.put("gemma3.rope.freq_base_swa", GgufValue.f32(5000f));
            for (SyntheticLlama.TensorSpec s : SyntheticLlama.tensors(c, SyntheticLlama.vocabSize(v))) w.tensor(s.name(), GgmlType.F32, s.ne(), seg -> {});
            w.write(file);
        }
        assertEquals(List.of("5@5000", "0@1000000", "0@1000000", "5@5000"), layers(liftGemma(file)));
        // without attention.sliding_window every layer is global
        Path noSwa = tmp.resolve("gemma-noswa.gguf");
        try (GgufFile v = GgufFile.open(vocab())) {
            GgufWriter w = new GgufWriter();
            for (Map.Entry<String, GgufValue> e : SyntheticLlama.metadata(gemma(3), v, GgmlType.F32).entrySet()) {
                if (!e.getKey().equals("gemma3.attention.sliding_window")) w.put(e.getKey(), e.getValue());
            }
            for (SyntheticLlama.TensorSpec s : SyntheticLlama.tensors(gemma(3), SyntheticLlama.vocabSize(v))) w.tensor(s.name(), GgmlType.F32, s.ne(), seg -> {});
            w.write(noSwa);
        }
        assertEquals(List.of("0@1000000", "0@1000000", "0@1000000", "0@1000000"), layers(liftGemma(noSwa)));
    }

    /** Linear RoPE scaling (Gemma 3 4B's factor 8) applies to global layers only; local ones keep scale 1, as llama.cpp's freq_scale_swa. */
    @Test
    void gemma3RopeScalingIsForGlobalLayersOnly() {
        Path file = tmp.resolve("gemma-scaled.gguf");
        try (GgufFile v = GgufFile.open(vocab())) {
            GgufWriter w = new GgufWriter().putAll(SyntheticLlama.metadata(gemma(3), v, GgmlType.F32));
            w.put("gemma3.rope.scaling.type", GgufValue.of("linear"));
            w.put("gemma3.rope.scaling.factor", GgufValue.f32(8f));
            for (SyntheticLlama.TensorSpec s : SyntheticLlama.tensors(gemma(3), SyntheticLlama.vocabSize(v))) w.tensor(s.name(), GgmlType.F32, s.ne(), seg -> {});
            w.write(file);
        }
        List<Double> scales = liftGemma(file).nodes().stream().filter(n -> n.op() == OpKind.ROPE).map(n -> n.attrs().real("freq_scale")).toList();
        assertEquals(List.of(1.0, 1.0, 1.0, 1.0, 0.125, 0.125, 1.0, 1.0), scales);
    }

    /** llama.cpp scales Q by 1/sqrt(n_embd / n_head) for the 62-layer 27B, by 1/sqrt(head dim) otherwise. */
    @Test
    void gemma3QueryScaleOfThe27B() {
        SyntheticLlama.Config c = new SyntheticLlama.Config(128, 32, 62, 4, 2, 64, 1, 1e-6f, 1e6f, false, false, "gemma3", 64, 5, 0);
        Graph g = liftGemma(write(c, l -> l, "gemma-62"));
        List<Double> scales = g.nodes().stream().filter(n -> n.op() == OpKind.SCALE).map(n -> n.attrs().real("factor")).toList();
        assertEquals(63, scales.size());
        assertEquals((float) (1 / Math.sqrt(32)), scales.get(1), 0.0, "n_embd / n_head = 32, not the head dim 64");
    }

    @Test
    void gemma3MissingPostNormAndSoftcappingAreOneLine() {
        Path f = write(gemma(3), l -> {
            l.removeIf(s -> s.name().equals("blk.2.post_ffw_norm.weight"));
            return l;
        }, "gemma-no-post-norm");
        assertTrue(liftError(f).contains("missing tensor 'blk.2.post_ffw_norm.weight'"), liftError(f));
        Path capped = tmp.resolve("gemma-capped.gguf");
        try (GgufFile v = GgufFile.open(vocab())) {
            GgufWriter w = new GgufWriter().putAll(SyntheticLlama.metadata(gemma(3), v, GgmlType.F32));
            w.put("gemma3.final_logit_softcapping", GgufValue.f32(30f));
            for (SyntheticLlama.TensorSpec s : SyntheticLlama.tensors(gemma(3), SyntheticLlama.vocabSize(v))) w.tensor(s.name(), GgmlType.F32, s.ne(), seg -> {});
            w.write(capped);
        }
        assertTrue(liftError(capped).contains("'gemma3.final_logit_softcapping' is 30.0: logit softcapping is not supported yet"), liftError(capped));
    }

    /** A small gemma2: 4 layers, a 5-key window (pattern key absent: llama.cpp's 2), caps 2 and 1; head dim 32 with n_embd 128. */
    static SyntheticLlama.Config gemma2() {
        return new SyntheticLlama.Config(128, 160, 4, 4, 2, 64, 1, 1e-6f, 1e6f, true, false, "gemma2", 32, 5, 0, 2f, 1f);
    }

    /** A gemma2 file of {@link #gemma2()}'s tensors (no data) with its metadata edited by {@code edit}. */
    Path gemma2With(String name, java.util.function.Consumer<Map<String, GgufValue>> edit) {
        Path file = tmp.resolve(name + ".gguf");
        try (GgufFile v = GgufFile.open(vocab())) {
            Map<String, GgufValue> m = new java.util.LinkedHashMap<>(SyntheticLlama.metadata(gemma2(), v, GgmlType.F32));
            edit.accept(m);
            GgufWriter w = new GgufWriter().putAll(m);
            for (SyntheticLlama.TensorSpec s : SyntheticLlama.tensors(gemma2(), SyntheticLlama.vocabSize(v))) w.tensor(s.name(), GgmlType.F32, s.ne(), seg -> {});
            w.write(file);
        }
        return file;
    }

    @Test
    void gemma2HasItsDiagramSoftcapsAndWindowsOnEvenLayers() {
        Graph g = liftGemma(gemma2With("gemma2", m -> {}));
        // llama.cpp's default pattern 2: layers 0 and 2 local; local layers keep the global RoPE base (no freq_base_swa)
        assertEquals(List.of("5@1000000", "0@1000000", "5@1000000", "0@1000000"), layers(g));
        for (Node r : g.nodes()) if (r.op() == OpKind.ROPE) assertEquals("neox", r.attrs().string("mode"));
        List<Double> scales = g.nodes().stream().filter(n -> n.op() == OpKind.SCALE).map(n -> n.attrs().real("factor")).toList();
        assertEquals(5, scales.size(), "scales " + scales);
        assertEquals((float) Math.sqrt(128), scales.get(0), 0.0);
        for (double q : scales.subList(1, 5)) assertEquals((float) (1 / Math.sqrt(32)), q, 0.0);
        assertEquals(0, g.nodes().stream().filter(n -> n.op() == OpKind.RMS_NORM && n.shape().rank() == 3).count(), "no q/k norms");
        assertEquals(4 * 4 + 1, g.nodes().stream().filter(n -> n.op() == OpKind.RMS_NORM && n.shape().rank() == 2).count());
        assertEquals(4, g.nodes().stream().filter(n -> n.op() == OpKind.GELU).count(), "GeGLU");
        // soft-capping: each layer's scores (between attn_scores and the mask) at 2, the logits at 1
        List<Node> caps = g.nodes().stream().filter(n -> n.op() == OpKind.SOFTCAP).toList();
        assertEquals(5, caps.size());
        for (Node c : caps.subList(0, 4)) {
            assertEquals(2.0, c.attrs().real("cap"));
            assertEquals(OpKind.ATTN_SCORES, c.input(0).op());
        }
        assertEquals(1.0, caps.get(4).attrs().real("cap"));
        assertEquals(OpKind.MATMUL, caps.get(4).input(0).op());
        assertSame(caps.get(4), g.outputs().get(LlamaLifter.LOGITS), "the capped logits are the output");
    }

    @Test
    void gemma2DefaultsAndPatternAndRopeSwa() {
        // no caps, window or pattern: llama.cpp's 50, 30 and 4096 keys on even layers
        Graph g = liftGemma(gemma2With("gemma2-defaults", m -> {
            m.remove("gemma2.attn_logit_softcapping");
            m.remove("gemma2.final_logit_softcapping");
            m.remove("gemma2.attention.sliding_window");
        }));
        assertEquals(List.of("4096@1000000", "0@1000000", "4096@1000000", "0@1000000"), layers(g));
        List<Double> caps = g.nodes().stream().filter(n -> n.op() == OpKind.SOFTCAP).map(n -> n.attrs().real("cap")).toList();
        assertEquals(List.of(50.0, 50.0, 50.0, 50.0, 30.0), caps);
        // a pattern of 4 (layers 0-2 local) and freq_base_swa for the local layers
        Graph p = liftGemma(gemma2With("gemma2-pattern", m -> {
            m.put("gemma2.attention.sliding_window_pattern", GgufValue.u32(4));
            m.put("gemma2.rope.freq_base_swa", GgufValue.f32(5000f));
        }));
        assertEquals(List.of("5@5000", "5@5000", "5@5000", "0@1000000"), layers(p));
    }

    @Test
    void gemma2BadCapsWindowAndMissingPostNormAreOneLine() {
        for (String key : List.of("gemma2.attn_logit_softcapping", "gemma2.final_logit_softcapping")) {
            for (float bad : new float[] {0f, -30f, Float.NaN}) {
                Path f = gemma2With("gemma2-bad-cap", m -> m.put(key, GgufValue.f32(bad)));
                String e = liftError(f);
                assertTrue(e.contains("gemma2-bad-cap.gguf") && e.contains("'" + key + "' is " + bad + ", must be a positive number"), e);
                assertEquals(1, e.lines().count(), e);
            }
        }
        Path w = gemma2With("gemma2-bad-window", m -> m.put("gemma2.attention.sliding_window", GgufValue.u32(0)));
        assertTrue(liftError(w).contains("'gemma2.attention.sliding_window' is 0, must be >= 1"), liftError(w));
        Path f = write(gemma2(), l -> {
            l.removeIf(s -> s.name().equals("blk.1.post_attention_norm.weight"));
            return l;
        }, "gemma2-no-post-norm");
        assertTrue(liftError(f).contains("missing tensor 'blk.1.post_attention_norm.weight'"), liftError(f));
    }

    /**
     * {@code c}'s model in Q4_0 as a sparse file: no data is written, only the header describes the
     * tensors (real shapes would take gigabytes; lifting never reads weight data).
     */
    Path sparseQ4_0(SyntheticLlama.Config c, String name) {
        Path file = tmp.resolve(name + ".gguf");
        try (GgufFile v = GgufFile.open(vocab())) {
            GgufWriter w = new GgufWriter().putAll(SyntheticLlama.metadata(c, v, GgmlType.Q4_0));
            for (SyntheticLlama.TensorSpec s : SyntheticLlama.tensors(c, SyntheticLlama.vocabSize(v))) {
                w.tensor(s.name(), SyntheticLlama.TypePolicy.uniform(GgmlType.Q4_0).typeFor(s.name(), s.ne()), s.ne(), seg -> {});
            }
            w.write(file);
        }
        return file;
    }

    /** Real-shape presets: the header (every tensor's shape, the hyperparameters) lifts; the data is never read. */
    @ParameterizedTest
    @ValueSource(strings = {"qwen2", "qwen3", "qwen3moe", "phi3", "gemma2", "gemma3"})
    void realShapeHeadersLift(String arch) {
        SyntheticLlama.Config c = SyntheticLlama.realShape(arch);
        try (GgufFile f = GgufFile.open(sparseQ4_0(c, arch + "-real"))) {
            LlamaHparams hp = Lifters.hparams(f);
            assertEquals(c.nLayer(), hp.nLayer());
            assertEquals(c.headDim(), hp.headDim());
            assertEquals(c.nHeadKv(), hp.nHeadKv());
            Graph g = Lifters.lift(f, new LlamaLifter.Options(128, false, DType.F32));
            assertTrue(Verifier.check(g).isEmpty());
            assertEquals(f.tensors().size(), g.params().size());
        }
    }

    /** gemma4-tiny's file (no data) with its metadata edited by {@code edit} and its tensor list by {@code tensors}. */
    Path gemma4With(String name, java.util.function.Consumer<Map<String, GgufValue>> edit, UnaryOperator<List<SyntheticLlama.TensorSpec>> tensors) {
        return gemma4With(SyntheticLlama.tiny("gemma4"), name, edit, tensors);
    }

    /** {@link #gemma4With} for the gemma4 config {@code c}. */
    Path gemma4With(SyntheticLlama.Config c, String name, java.util.function.Consumer<Map<String, GgufValue>> edit, UnaryOperator<List<SyntheticLlama.TensorSpec>> tensors) {
        Path file = tmp.resolve(name + ".gguf");
        try (GgufFile v = GgufFile.open(vocab())) {
            Map<String, GgufValue> m = new java.util.LinkedHashMap<>(SyntheticLlama.metadata(c, v, GgmlType.F32));
            edit.accept(m);
            GgufWriter w = new GgufWriter().putAll(m);
            for (SyntheticLlama.TensorSpec s : tensors.apply(new ArrayList<>(SyntheticLlama.tensors(c, SyntheticLlama.vocabSize(v))))) {
                // layer_output_scale is read at lift time: one 1.0
                w.tensor(s.name(), GgmlType.F32, s.ne(), seg -> { if (s.name().endsWith("layer_output_scale.weight")) seg.set(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, 0, 1f); });
            }
            w.write(file);
        }
        return file;
    }

    /** A small qwen3moe: 2 layers, 4 experts of FFN 64, 2 per token. */
    static SyntheticLlama.Config moe() {
        return new SyntheticLlama.Config(96, 160, 2, 4, 2, 64, 1, 1e-6f, 1e6f, false, false, "qwen3moe", 32, 0, 0, 0f, 0f, new SyntheticLlama.Moe(4, 2, 64));
    }

    /** A qwen3moe file of {@link #moe()}'s tensors (no data), the tensor list edited by {@code tensors} and the metadata by {@code meta}. */
    Path moeWith(String name, UnaryOperator<List<SyntheticLlama.TensorSpec>> tensors, java.util.function.Consumer<Map<String, GgufValue>> meta) {
        Path file = tmp.resolve(name + ".gguf");
        try (GgufFile v = GgufFile.open(vocab())) {
            Map<String, GgufValue> m = new java.util.LinkedHashMap<>(SyntheticLlama.metadata(moe(), v, GgmlType.F32));
            meta.accept(m);
            GgufWriter w = new GgufWriter().putAll(m);
            for (SyntheticLlama.TensorSpec s : tensors.apply(new ArrayList<>(SyntheticLlama.tensors(moe(), SyntheticLlama.vocabSize(v))))) w.tensor(s.name(), GgmlType.F32, s.ne(), seg -> {});
            w.write(file);
        }
        return file;
    }

    /**
     * gemma4-tiny as llama.cpp's gemma4.cpp builds it: global layers (1, 3, 5) divide their RoPE angles by
     * rope_freqs and have 128-wide heads over 1 KV head, sliding-window layers 64-wide ones over 2 with a 4-key
     * window; V is K's projection on global layers (no attn_v) and every V is RMS-normed with a ones weight;
     * layers 4 and 5 write no cache and read those of 2 and 3; attention scale 1 (no scale on Q); per-layer
     * embeddings; a soft-capped output.
     */
    @Test
    void gemma4HasItsDiagram() {
        Path file = gemma4With("gemma4", m -> {}, l -> l);
        try (GgufFile f = GgufFile.open(file)) {
            Graph g = Lifters.lift(f, new LlamaLifter.Options(64, true, DType.F32));
            assertTrue(Verifier.check(g).isEmpty(), Verifier.check(g).toString());
            assertTrue(g.structurallyEquals(IrParser.parse(IrPrinter.print(g), "gemma4.ir")));
            List<Node> ropes = g.nodes().stream().filter(n -> n.op() == OpKind.ROPE).toList();
            // q of 6 layers, k of the 4 with their own cache; global ones (128 wide) take rope_freqs
            assertEquals(10, ropes.size());
            for (Node r : ropes) {
                boolean global = r.shape().dim(2).size() == 128;
                assertEquals(global ? 3 : 2, r.inputs().size(), "rope_freqs on global layers only: " + r);
                assertEquals(global ? 1e6 : 10000.0, r.attrs().real("freq_base"), 1e-9);
                assertEquals(global ? 128 : 64, r.attrs().integer("n_rot"));
            }
            assertEquals(8, g.nodes().stream().filter(n -> n.op() == OpKind.KV_WRITE).count(), "layers 4 and 5 write no cache");
            assertEquals(6, g.nodes().stream().filter(n -> n.op() == OpKind.ATTN_SCORES).count());
            for (Node s : g.nodes()) if (s.op() == OpKind.ATTN_SCORES) assertEquals(1.0, s.attrs().real("scale"), 0.0, "attention scale 1");
            List<Node> masks = g.nodes().stream().filter(n -> n.op() == OpKind.CAUSAL_MASK).toList();
            assertEquals(List.of(4L, 0L, 4L, 0L, 4L, 0L), masks.stream().map(n -> (long) ggufc.ir.TypeRules.window(n)).toList());
            long vNorms = g.nodes().stream().filter(n -> n.op() == OpKind.RMS_NORM && n.input(1).op() == OpKind.CONSTANT).count();
            assertEquals(4, vNorms, "an unweighted V norm per layer with a cache");
            assertTrue(f.tensor("blk.1.attn_v.weight") == null && f.tensor("blk.0.attn_v.weight") != null, "V = K on global layers");
            assertEquals(6, g.nodes().stream().filter(n -> n.op() == OpKind.GELU && n.shape().last().size() == 32).count(), "per-layer embedding gates");
            assertEquals(1, g.nodes().stream().filter(n -> n.op() == OpKind.SOFTCAP).count());
        }
    }

    static String gemma4Error(Path file) {
        String e = liftError(file);
        System.out.println("gemma4 bad input: " + e);
        return e;
    }

    /** Bad gemma4 files: one line naming the file and the key or tensor. */
    @Test
    void gemma4BadInputIsOneLine() {
        assertTrue(gemma4Error(gemma4With("pattern", m -> m.put("gemma4.attention.sliding_window_pattern", GgufValue.bools(new boolean[] {true, false, true})), l -> l))
                .contains("'gemma4.attention.sliding_window_pattern' has 3 entries for 6 layers"));
        assertTrue(gemma4Error(gemma4With("pattern-number", m -> m.put("gemma4.attention.sliding_window_pattern", GgufValue.u32(2)), l -> l))
                .contains("'gemma4.attention.sliding_window_pattern' must be an array of one bool per layer"));
        assertTrue(gemma4Error(gemma4With("no-pattern", m -> m.remove("gemma4.attention.sliding_window_pattern"), l -> l))
                .contains("missing metadata key 'gemma4.attention.sliding_window_pattern'"));
        assertTrue(gemma4Error(gemma4With("shared-all", m -> m.put("gemma4.attention.shared_kv_layers", GgufValue.u32(5)), l -> l))
                .contains("'gemma4.attention.shared_kv_layers' is 5 of 6 layers: it leaves 1 layer with its own KV cache"));
        assertTrue(gemma4Error(gemma4With("shared-too-many", m -> m.put("gemma4.attention.shared_kv_layers", GgufValue.u32(7)), l -> l))
                .contains("'gemma4.attention.shared_kv_layers' is 7 for 6 layers"));
        // 3 shared: the last layer with a cache (2) is sliding-window, not global
        assertTrue(gemma4Error(gemma4With("shared-odd", m -> m.put("gemma4.attention.shared_kv_layers", GgufValue.u32(3)), l -> l))
                .contains("'gemma4.attention.shared_kv_layers' is 3"));
        assertTrue(gemma4Error(gemma4With("kv-heads", m -> m.put("gemma4.attention.head_count_kv", GgufValue.ints(new int[] {2, 3, 2, 1, 2, 1})), l -> l))
                .contains("head count 4 is not a multiple of the KV head count 3"));
        assertTrue(gemma4Error(gemma4With("kv-heads-len", m -> m.put("gemma4.attention.head_count_kv", GgufValue.ints(new int[] {2, 1})), l -> l))
                .contains("'gemma4.attention.head_count_kv' has 2 entries for 6 layers"));
        assertTrue(gemma4Error(gemma4With("no-swa-head", m -> m.remove("gemma4.attention.key_length_swa"), l -> l))
                .contains("missing metadata key 'gemma4.attention.key_length_swa'"));
        assertTrue(gemma4Error(gemma4With("no-rope-freqs", m -> {}, l -> { l.removeIf(s -> s.name().equals("rope_freqs.weight")); return l; }))
                .contains("missing tensor 'rope_freqs.weight'"));
        assertTrue(gemma4Error(gemma4With("q-shape", m -> {}, l -> { l.replaceAll(s -> s.name().equals("blk.1.attn_q.weight") ? new SyntheticLlama.TensorSpec(s.name(), new long[] {256, 256}) : s); return l; }))
                .contains("tensor 'blk.1.attn_q.weight' has shape [256, 256], expected [512, 256]"));
        assertTrue(gemma4Error(gemma4With("scale-shape", m -> {}, l -> { l.replaceAll(s -> s.name().equals("blk.0.layer_output_scale.weight") ? new SyntheticLlama.TensorSpec(s.name(), new long[] {2}) : s); return l; }))
                .contains("tensor 'blk.0.layer_output_scale.weight' must be one F32 value"));
        assertTrue(gemma4Error(gemma4With("ple-missing", m -> {}, l -> { l.removeIf(s -> s.name().equals("blk.3.inp_gate.weight")); return l; }))
                .contains("missing tensor 'blk.3.inp_gate.weight'"));
    }

    /**
     * gemma4-moe-tiny (26B-A4B's layout): per layer the dense GeGLU FFN beside GeGLU experts from the merged
     * gate/up with a down scale, routed from the scaled, unweighted RMS norm of the stream; bad expert input is one line.
     */
    @Test
    void gemma4MoeHasItsDiagramAndBadExpertsAreOneLine() {
        SyntheticLlama.Config c = SyntheticLlama.tiny("gemma4-moe");
        try (GgufFile f = GgufFile.open(gemma4With(c, "gemma4-moe", m -> {}, l -> l))) {
            Graph g = Lifters.lift(f, new LlamaLifter.Options(64, true, DType.F32));
            assertTrue(Verifier.check(g).isEmpty(), Verifier.check(g).toString());
            java.util.function.Function<OpKind, Long> count = k -> g.nodes().stream().filter(n -> n.op() == k).count();
            assertEquals(4, count.apply(OpKind.TOPK));
            assertEquals(8, count.apply(OpKind.MATMUL_ID), "merged gate/up and down per layer");
            assertEquals(4, g.nodes().stream().filter(n -> n.op() == OpKind.MATMUL_ID && n.inputs().size() == 4).count(), "the down products scaled per expert");
            assertEquals(4, count.apply(OpKind.WEIGHTED_SUM));
            assertEquals(4, count.apply(OpKind.SUM_NORMALIZE), "renormalized weights");
            assertEquals(3L * 4, g.nodes().stream().filter(n -> n.op() == OpKind.MATMUL && n.input(1).op() == OpKind.PARAM && n.input(1).attrs().string("name").matches("blk\\.\\d\\.ffn_(gate|up|down)\\.weight")).count(), "the dense FFN beside");
            Node topk = g.nodes().stream().filter(n -> n.op() == OpKind.TOPK).findFirst().orElseThrow();
            assertEquals(2, topk.attrs().integer("k"));
            // router: softmax(ffn_gate_inp . (rms_norm(x, ones) * 1/16 * ffn_gate_inp.scale))
            Node router = topk.input(0).input(0).input(0);
            assertEquals(OpKind.MUL, router.op());
            assertEquals("blk.0.ffn_gate_inp.scale", router.input(1).attrs().string("name"));
            assertEquals(1.0 / 16, router.input(0).attrs().real("factor"), 1e-9);
            assertEquals(OpKind.CONSTANT, router.input(0).input(0).input(1).op());
        }
        String noExperts = liftError(gemma4With(c, "gemma4-moe-no-exps", m -> {}, l -> { l.removeIf(s -> s.name().equals("blk.2.ffn_gate_up_exps.weight")); return l; }));
        assertTrue(noExperts.contains("missing tensor 'blk.2.ffn_gate_up_exps.weight'") || noExperts.contains("missing tensor 'blk.2.ffn_gate_exps.weight'"), noExperts);
        String noCount = liftError(gemma4With(c, "gemma4-moe-no-count", m -> m.remove("gemma4.expert_count"), l -> l));
        assertTrue(noCount.contains("missing metadata key 'gemma4.expert_count'"), noCount);
        String used = liftError(gemma4With(c, "gemma4-moe-used", m -> m.put("gemma4.expert_used_count", GgufValue.u32(9)), l -> l));
        assertTrue(used.contains("'gemma4.expert_used_count' is 9, must be in 1 .. 8 (the expert count)"), used);
        String noScale = liftError(gemma4With(c, "gemma4-moe-no-router-scale", m -> {}, l -> { l.removeIf(s -> s.name().equals("blk.1.ffn_gate_inp.scale")); return l; }));
        assertTrue(noScale.contains("missing tensor 'blk.1.ffn_gate_inp.scale'"), noScale);
    }

    /** Gemma 4's real-shape presets: the headers (31B: 60 layers, V = K globals; E2B: 35 layers, 20 sharing KV, per-layer embeddings) lift. */
    @ParameterizedTest
    @ValueSource(strings = {"gemma4", "gemma4-e2b", "gemma4-26b-a4b"})
    void gemma4RealShapeHeadersLift(String preset) {
        SyntheticLlama.Config c = SyntheticLlama.realShape(preset);
        try (GgufFile f = GgufFile.open(sparseQ4_0(c, preset + "-real"))) {
            Graph g = Lifters.lift(f, new LlamaLifter.Options(128, false, DType.F32));
            assertTrue(Verifier.check(g).isEmpty());
            long states = g.nodes().stream().filter(n -> n.op() == OpKind.STATE).count();
            assertEquals(2L * (c.nLayer() - c.gemma4().sharedKvLayers()), states);
            // every tensor but the layer output scales (read at lift time) is a param
            assertEquals(f.tensors().size() - c.nLayer(), g.params().size());
        }
    }
    /** qwen3moe: qwen3's attention and, per layer, router, softmax, top-2, renormalized weights, three expert matmuls and the weighted sum. */
    @Test
    void qwen3moeHasItsDiagram() {
        Path file = tmp.resolve("qwen3moe.gguf");
        try (GgufFile v = GgufFile.open(vocab())) {
            SyntheticLlama.write(file, moe(), v, SyntheticLlama.TypePolicy.uniform(GgmlType.Q8_0));
        }
        try (GgufFile f = GgufFile.open(file)) {
            assertEquals(GgmlType.F32, f.tensor("blk.0.ffn_gate_inp.weight").ggmlType(), "the router stays F32, as llama-quantize keeps it");
            Graph g = Lifters.lift(f, new LlamaLifter.Options(64, true, DType.F32));
            assertTrue(Verifier.check(g).isEmpty(), Verifier.check(g).toString());
            assertTrue(g.structurallyEquals(IrParser.parse(IrPrinter.print(g), "qwen3moe.ir")), "parse(print(g)) differs from g");
            assertEquals(f.tensors().size(), g.params().size(), "every tensor of the file is a param");
            java.util.function.Function<OpKind, Long> count = k -> g.nodes().stream().filter(n -> n.op() == k).count();
            assertEquals(2, count.apply(OpKind.TOPK));
            assertEquals(2, count.apply(OpKind.TAKE_ALONG));
            assertEquals(2, count.apply(OpKind.SUM_NORMALIZE));
            assertEquals(6, count.apply(OpKind.MATMUL_ID));
            assertEquals(2, count.apply(OpKind.WEIGHTED_SUM));
            assertEquals(4, g.nodes().stream().filter(n -> n.op() == OpKind.RMS_NORM && n.shape().rank() == 3).count(), "per-head q/k norms");
            Node topk = g.nodes().stream().filter(n -> n.op() == OpKind.TOPK).findFirst().orElseThrow();
            assertEquals(2, topk.attrs().integer("k"));
            assertEquals(OpKind.SOFTMAX, topk.input(0).op());
        }
    }

    @Test
    void qwen3moeBadExpertsAreOneLineNamingKeyOrTensor() {
        Path noExperts = moeWith("moe-no-up", l -> {
            l.removeIf(s -> s.name().equals("blk.1.ffn_up_exps.weight"));
            return l;
        }, m -> {});
        assertTrue(liftError(noExperts).contains("missing tensor 'blk.1.ffn_up_exps.weight' ('qwen3moe.expert_count' declares 4 experts)"), liftError(noExperts));
        Path noRouter = moeWith("moe-no-router", l -> {
            l.removeIf(s -> s.name().startsWith("blk.0.ffn_gate_inp"));
            return l;
        }, m -> {});
        assertTrue(liftError(noRouter).contains("missing tensor 'blk.0.ffn_gate_inp.weight' ('qwen3moe.expert_count' declares 4 experts)"), liftError(noRouter));
        Path misshaped = moeWith("moe-bad-down", l -> {
            l.replaceAll(s -> s.name().equals("blk.0.ffn_down_exps.weight") ? new SyntheticLlama.TensorSpec(s.name(), new long[] {96, 64, 4}) : s);
            return l;
        }, m -> {});
        assertTrue(liftError(misshaped).contains("tensor 'blk.0.ffn_down_exps.weight' has shape [4, 64, 96], expected [4, 96, 64]"), liftError(misshaped));
        Path unused = moeWith("moe-used-0", l -> l, m -> m.put("qwen3moe.expert_used_count", GgufValue.u32(0)));
        assertTrue(liftError(unused).contains("'qwen3moe.expert_used_count' is 0, must be in 1 .. 4 (the expert count)"), liftError(unused));
        Path tooMany = moeWith("moe-used-5", l -> l, m -> m.put("qwen3moe.expert_used_count", GgufValue.u32(5)));
        assertTrue(liftError(tooMany).contains("'qwen3moe.expert_used_count' is 5, must be in 1 .. 4 (the expert count)"), liftError(tooMany));
        Path none = moeWith("moe-count-0", l -> l, m -> m.put("qwen3moe.expert_count", GgufValue.u32(0)));
        assertTrue(liftError(none).contains("'qwen3moe.expert_count' is 0: qwen3moe needs 1 .. 65536 experts"), liftError(none));
        Path noKey = moeWith("moe-no-count", l -> l, m -> m.remove("qwen3moe.expert_count"));
        assertTrue(liftError(noKey).contains("missing metadata key 'qwen3moe.expert_count'"), liftError(noKey));
    }

    /**
     * Blocks.moe's options for Gemma 4: a merged {@code ffn_gate_up_exps} (gate first) and a per-expert
     * {@code ffn_down_exps.scale}. A qwen3moe file whose gate and up are stacked into one tensor, with a
     * down scale of ones, gives the separate file's logits exactly (reference interpreter).
     */
    @Test
    void mergedGateUpAndDownScaleGiveTheSeparateExpertsLogits() {
        SyntheticLlama.Config c = moe();
        Path separate = tmp.resolve("moe-separate.gguf"), merged = tmp.resolve("moe-merged.gguf");
        try (GgufFile v = GgufFile.open(vocab())) {
            SyntheticLlama.write(separate, c, v, SyntheticLlama.TypePolicy.uniform(GgmlType.F32));
            GgufWriter w = new GgufWriter().putAll(SyntheticLlama.metadata(c, v, GgmlType.F32));
            int ne = c.moe().nExpert(), ff = c.moe().nFfExp(), e = c.nEmbd();
            for (SyntheticLlama.TensorSpec s : SyntheticLlama.tensors(c, SyntheticLlama.vocabSize(v))) {
                if (s.name().endsWith("ffn_gate_exps.weight")) continue;
                if (s.name().endsWith("ffn_up_exps.weight")) {
                    String blk = s.name().substring(0, s.name().indexOf("ffn_up_exps"));
                    float[] gate = SyntheticLlama.weights(c, blk + "ffn_gate_exps.weight", new long[] {e, ff, ne});
                    float[] up = SyntheticLlama.weights(c, s.name(), s.ne());
                    w.tensor(blk + "ffn_gate_up_exps.weight", GgmlType.F32, new long[] {e, 2L * ff, ne}, seg -> {
                        for (int x = 0; x < ne; x++) {
                            for (int r = 0; r < ff; r++) {
                                for (int k = 0; k < e; k++) {
                                    seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, ((long) x * 2 * ff + r) * e + k, gate[(x * ff + r) * e + k]);
                                    seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, ((long) x * 2 * ff + ff + r) * e + k, up[(x * ff + r) * e + k]);
                                }
                            }
                        }
                    });
                    w.tensor(blk + "ffn_down_exps.scale", GgmlType.F32, new long[] {ne}, seg -> {
                        for (int x = 0; x < ne; x++) seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, x, 1f);
                    });
                    continue;
                }
                float[] data = SyntheticLlama.weights(c, s.name(), s.ne());
                w.tensor(s.name(), GgmlType.F32, s.ne(), seg -> {
                    for (int k = 0; k < data.length; k++) seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, k, data[k]);
                });
            }
            w.write(merged);
        }
        float[] a = moeLogits(separate, false), b = moeLogits(merged, true);
        org.junit.jupiter.api.Assertions.assertArrayEquals(a, b, "merged gate/up with a unit down scale must compute the separate experts' logits");
    }

    /** Logits of every position of a 6-token prompt on the reference interpreter; {@code merged}: the graph must read the merged tensors. */
    static float[] moeLogits(Path file, boolean merged) {
        try (GgufFile f = GgufFile.open(file)) {
            Graph g = Lifters.lift(f, new LlamaLifter.Options(64, true, DType.F32));
            assertEquals(merged, g.params().stream().anyMatch(p -> p.name().equals("blk.0.ffn_gate_up_exps.weight")));
            assertEquals(merged ? 2 : 0, g.nodes().stream().filter(n -> n.op() == OpKind.MATMUL_ID && n.inputs().size() == 4).count(), "down with the scale");
            assertEquals(merged ? 4 : 6, g.nodes().stream().filter(n -> n.op() == OpKind.MATMUL_ID).count());
            int[] tokens = {1, 7, 3, 60, 12, 5}, pos = {0, 1, 2, 3, 4, 5};
            var out = new ggufc.ir.interp.Interpreter(g, new GgufWeights(f)).run(Map.of(LlamaLifter.TOKENS, ggufc.ir.interp.Value.ofI32(new long[] {6}, tokens),
                    LlamaLifter.POSITIONS, ggufc.ir.interp.Value.ofI32(new long[] {6}, pos)), Map.of("T", 6L, "L", 6L));
            return out.get(LlamaLifter.LOGITS).f32();
        }
    }

    /**
     * As llama.cpp: the optional per-expert {@code ffn_gate/up/down_exps.scale} tensors scale each expert's
     * products (a fourth operand of matmul_id), and qwen3moe ignores {@code expert_weights_scale} (llama.cpp's
     * qwen3moe never reads it; its logits with the key are those without).
     */
    @Test
    void qwen3moeExpertScalesAreReadAndExpertWeightsScaleIgnored() {
        Path scaled = moeWith("moe-scaled", l -> {
            List<SyntheticLlama.TensorSpec> r = new ArrayList<>(l);
            for (SyntheticLlama.TensorSpec s : l) {
                if (s.name().endsWith("_exps.weight")) r.add(new SyntheticLlama.TensorSpec(s.name().replace(".weight", ".scale"), new long[] {4}));
            }
            return r;
        }, m -> m.put("qwen3moe.expert_weights_scale", GgufValue.f32(2.5f)));
        try (GgufFile f = GgufFile.open(scaled)) {
            Graph g = Lifters.lift(f, new LlamaLifter.Options(64, false, DType.F32));
            assertEquals(6, g.nodes().stream().filter(n -> n.op() == OpKind.MATMUL_ID && n.inputs().size() == 4).count(), "gate, up and down scaled in both layers");
            assertEquals(0, g.nodes().stream().filter(n -> n.op() == OpKind.SCALE).count(), "no expert_weights_scale");
            assertEquals(f.tensors().size(), g.params().size());
        }
        Path misshaped = moeWith("moe-bad-scale", l -> {
            List<SyntheticLlama.TensorSpec> r = new ArrayList<>(l);
            r.add(new SyntheticLlama.TensorSpec("blk.1.ffn_up_exps.scale", new long[] {3}));
            return r;
        }, m -> {});
        assertTrue(liftError(misshaped).contains("tensor 'blk.1.ffn_up_exps.scale' has shape [3], expected [4]"), liftError(misshaped));
    }
}
