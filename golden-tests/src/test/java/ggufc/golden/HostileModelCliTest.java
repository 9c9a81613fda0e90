package ggufc.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ggufc.gguf.GgmlType;
import ggufc.gguf.GgufFile;
import ggufc.gguf.GgufTensorInfo;
import ggufc.gguf.GgufValue;
import ggufc.gguf.GgufWriter;
import ggufc.ir.DType;
import ggufc.ir.quant.BlockCodecs;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Valid-but-unusual and hostile models through the CLI: a huge declared context runs with the
 * default 4,096-token cache and an oversized {@code --ctx} is refused before anything is allocated;
 * norm weights stored as F16/BF16 run (llama.cpp aborts on these files); impossible hyperparameters
 * and tensor types give one line naming the file and the key or tensor. The files are stories260K
 * with one thing changed, written here.
 */
class HostileModelCliTest {
    @TempDir
    static Path dir;

    /** stories260K with metadata edited by {@code meta} and the tensors matching {@code retype} stored as {@code type}. */
    static Path variant(String name, Consumer<GgufWriter> meta, Predicate<String> retype, GgmlType type) {
        Path out = dir.resolve(name + ".gguf");
        try (GgufFile f = GgufFile.open(Goldens.sharedModel("stories260K.gguf"))) {
            GgufWriter w = new GgufWriter(f.version());
            f.metadata().forEach((k, v) -> w.put(k, k.equals("general.alignment") ? GgufValue.u32(f.alignment()) : v));
            meta.accept(w);
            for (GgufTensorInfo t : f.tensors()) {
                if (!retype.test(t.name())) {
                    w.tensor(t.name(), t.ggmlType(), t.ne(), f.tensorData(t));
                    continue;
                }
                float[] v = new float[(int) t.elements()];
                BlockCodecs.dequantize(DType.F32, f.tensorData(t), 0, v, 0, v.length);
                w.tensor(t.name(), type, t.ne(), (MemorySegment seg) -> {
                    if (type == GgmlType.I8) for (int i = 0; i < v.length; i++) seg.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) Math.round(v[i] * 64));
                    else BlockCodecs.quantize(type.dtype(), v, 0, v.length, seg, 0);
                });
            }
            w.write(out);
        }
        return out;
    }

    static Path withMeta(String name, String key, GgufValue value) { return variant(name, w -> w.put(key, value), n -> false, GgmlType.F32); }

    static String run(Path model, String... more) {
        String[] base = {"run", "--model", model.toString(), "--prompt", "Once upon a time", "-n", "32", "--temp", "0", "--threads", "2"};
        String[] args = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, args, base.length, more.length);
        CliTest.Run r = CliTest.ggufc(args);
        assertEquals(0, r.exit(), r.err());
        return r.out();
    }

    /** One line on stderr, exit 1, naming the file and containing every fragment; no stack trace. */
    static void refused(Path model, CliTest.Run r, String... fragments) {
        String err = ArtifactCliTest.oneLineError(r);
        assertTrue(err.startsWith("ggufc: " + model.getFileName() + ": ") || err.startsWith("ggufc: " + model + ": "), err);
        for (String f : fragments) assertTrue(err.contains(f), "'" + err + "' lacks '" + f + "'");
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), r.err());
    }

    @Test
    void hugeTrainingContextRunsWithTheDefaultCache() throws IOException {
        Path m = withMeta("ctx-huge", "llama.context_length", GgufValue.u32(99_999_999));
        CliTest.Run r = CliTest.ggufc("run", "--model", m.toString(), "--prompt", "Once upon a time", "-n", "32", "--temp", "0", "--threads", "2");
        assertEquals(0, r.exit(), r.err());
        assertEquals(CliTest.readmeGreedy(), r.out());
        // 4,096 positions x 5 layers x (K + V) x 32 floats: 5 MiB
        assertTrue(r.err().contains("ctx 4096, KV cache 5.0 MiB"), r.err());
    }

    @ParameterizedTest
    @ValueSource(strings = {"vector", "interpreter"})
    void oversizedContextIsRefusedBeforeAllocating(String backend) {
        Path m = withMeta("ctx-huge-" + backend, "llama.context_length", GgufValue.u32(99_999_999));
        long before = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        CliTest.Run r = CliTest.ggufc("run", "--model", m.toString(), "--backend", backend, "--prompt", "Hi", "-n", "2", "-c", "99999999");
        refused(m, r, "lower --ctx (-c)");
        long after = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        assertTrue(after - before < (1L << 30), "the refusal took " + (after - before) + " bytes of heap");
    }

    @Test
    void contextBeyondMemoryNamesTheSizes() {
        Path m = withMeta("ctx-sizes", "llama.context_length", GgufValue.u32(2048));
        // 5 layers x (K + V) x 32 f32 = 1,280 bytes per token: 2^31 positions need 2.5 TiB
        CliTest.Run r = CliTest.ggufc("run", "--model", m.toString(), "--prompt", "Hi", "-n", "2", "-c", "2147483647");
        refused(m, r, "a 2,147,483,647-token context needs 2.5 TiB of KV cache (1.3 KiB per token)", "of memory available");
    }

    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16"})
    void halfNormWeightsRunOnEveryPathLikeTheInterpreter(String type) throws IOException {
        Path m = variant("norm-" + type, w -> {}, n -> n.endsWith("norm.weight"), GgmlType.valueOf(type));
        String oracle = run(m, "--backend", "interpreter");
        assertEquals(oracle, run(m));
        // on the GPU path too (PoCL here): small weights of a dtype with no GPU kernel (BF16) are decoded on the host
        assertEquals(oracle, run(m, "--device", "opencl:0"));
        Path art = dir.resolve("norm-" + type + ".aot");
        CliTest.Run c = CliTest.ggufc("compile", "--model", m.toString(), "-o", art.toString(), "--no-jvm-cache");
        assertEquals(0, c.exit(), c.err());
        CliTest.Run r = CliTest.ggufc("run", "--artifact", art.toString(), "--prompt", "Once upon a time", "-n", "32", "--temp", "0", "--threads", "2");
        assertEquals(0, r.exit(), r.err());
        assertEquals(oracle, r.out());
        // norm weights rounded to half change logits by ~1e-3 at most here: the greedy text stays llama.cpp's F32 text
        assertEquals(CliTest.readmeGreedy(), oracle);
    }

    @Test
    void gateAndUpOfDifferentTypesCompileAndGiveLlamaCppText() throws IOException {
        // made by llama-quantize (regenerate.sh): attn_q and ffn_gate F32, attn_k and ffn_up Q8_0, attn_v Q4_0
        Path m = Goldens.root().resolve("models/stories260K-mixed.gguf");
        Goldens.Greedy golden = Goldens.Greedy.read(Goldens.root().resolve("stories260K-mixed/p1.greedy.json"));
        Path art = dir.resolve("mixed.aot");
        CliTest.Run c = CliTest.ggufc("compile", "--model", m.toString(), "-o", art.toString(), "--no-jvm-cache");
        assertEquals(0, c.exit(), c.err());
        // the default pipeline fuses gate and up (fuse-glu) and rounds activations as llama.cpp (quantize-activations)
        assertTrue(java.nio.file.Files.readString(art.resolve("manifest.properties")).contains("fuse-glu"));
        try (ggufc.runtime.LoadedModel lm = ggufc.runtime.LoadedModel.openArtifact(art, null, 0, 2)) {
            int[] ids = lm.generator().generate(golden.promptIds(), golden.genIds().length, ggufc.runtime.SamplerOptions.greedy(), true, piece -> {}).generated();
            org.junit.jupiter.api.Assertions.assertArrayEquals(golden.genIds(), ids);
        }
    }

    @Test
    void integerTensorInAWeightRoleNamesTheTensor() {
        Path m = variant("q-i8", w -> {}, n -> n.equals("blk.0.attn_q.weight"), GgmlType.I8);
        refused(m, CliTest.ggufc("run", "--model", m.toString(), "--prompt", "Hi", "-n", "2"), "tensor 'blk.0.attn_q.weight' is I8, an integer type");
        refused(m, CliTest.ggufc("compile", "--model", m.toString(), "-o", dir.resolve("q-i8.aot").toString(), "--no-jvm-cache"), "blk.0.attn_q.weight");
    }

    @Test
    void nonPositiveEpsilonNamesTheKey() {
        Path m = withMeta("eps0", "llama.attention.layer_norm_rms_epsilon", GgufValue.f32(0f));
        refused(m, CliTest.ggufc("run", "--model", m.toString(), "--prompt", "Hi", "-n", "2"), "'llama.attention.layer_norm_rms_epsilon' is 0.0");
    }

    @Test
    void oddRotaryDimensionNamesTheKey() {
        Path m = withMeta("rot7", "llama.rope.dimension_count", GgufValue.u32(7));
        refused(m, CliTest.ggufc("run", "--model", m.toString(), "--prompt", "Hi", "-n", "2"), "'llama.rope.dimension_count' is 7", "even");
    }

    @Test
    void zeroContextLengthNamesTheKey() {
        Path m = withMeta("ctx0", "llama.context_length", GgufValue.u32(0));
        refused(m, CliTest.ggufc("ir", "--model", m.toString()), "'llama.context_length' is 0");
    }

    /** The fuzz campaign's finding: a tokenizer larger than the embedding table (token id 403 of 256 rows) is one line, not an index error. */
    @Test
    void tokenizerBeyondTheEmbeddingNamesBoth() {
        Path m = variant("vocab-short", w -> {
            java.util.List<String> tokens = new java.util.ArrayList<>();
            for (int i = 0; i < 600; i++) tokens.add(i < 3 ? "<" + i + ">" : "t" + i);
            w.put("tokenizer.ggml.tokens", GgufValue.strings(tokens));
            w.put("tokenizer.ggml.scores", GgufValue.floats(new float[600]));
            w.put("tokenizer.ggml.token_type", GgufValue.ints(new int[600]));
        }, n -> false, GgmlType.F32);
        refused(m, CliTest.ggufc("run", "--model", m.toString(), "--prompt", "Hi", "-n", "2"), "tensor 'token_embd.weight' has 512 rows but the tokenizer has 600 tokens");
    }

    /** The fuzz campaign's finding: a block count far beyond the file's tensors is refused before per-layer arrays (128 MiB for 2^27 layers) are made. */
    @Test
    void blockCountBeyondTheTensorsIsRefusedBeforeAllocating() {
        Path m = withMeta("layers-huge", "llama.block_count", GgufValue.u32(1L << 27));
        refused(m, CliTest.ggufc("run", "--model", m.toString(), "--prompt", "Hi", "-n", "2"), "'llama.block_count' is 134217728 but the file has only");
    }
}
