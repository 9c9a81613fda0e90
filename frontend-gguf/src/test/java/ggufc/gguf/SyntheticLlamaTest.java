package ggufc.gguf;

import ggufc.ir.quant.BlockCodecs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** llama.cpp loading these files is checked by quant-golden/regenerate.sh (see llama-load.txt). */
class SyntheticLlamaTest {
    @TempDir Path tmp;

    @Test
    void writesALlamaModelWithTheRequestedTypes() {
        // n_ff = 320: ffn_down rows (320) are not whole Q4_K super-blocks, so it falls back to F16
        SyntheticLlama.Config c = SyntheticLlama.Config.of(256, 320, 2, 8, 2, 128).withSeed(7).withTiedOutput(true);
        Path out = tmp.resolve("synth.gguf");
        try (GgufFile vocab = GgufFile.open(TestFiles.model(TestFiles.STORIES_V3))) {
            SyntheticLlama.write(out, c, vocab, SyntheticLlama.TypePolicy.uniform(GgmlType.Q4_K));
            try (GgufFile f = GgufFile.open(out)) {
                assertEquals("llama", f.getString("general.architecture"));
                assertEquals(14, f.getInt("general.file_type"));
                assertEquals(256, f.getInt("llama.embedding_length"));
                assertEquals(320, f.getInt("llama.feed_forward_length"));
                assertEquals(2, f.getInt("llama.block_count"));
                assertEquals(8, f.getInt("llama.attention.head_count"));
                assertEquals(2, f.getInt("llama.attention.head_count_kv"));
                assertEquals(32, f.getInt("llama.rope.dimension_count"));
                assertEquals(128, f.getInt("llama.context_length"));
                for (String k : vocab.metadata().keySet()) {
                    if (k.startsWith("tokenizer.")) assertEquals(vocab.value(k), f.value(k), k);
                }
                assertFalse(f.hasTensor("output.weight"));
                assertEquals(2 + 2 * 9, f.tensors().size());
                assertArrayEquals(new long[] {256, 64}, f.tensor("blk.1.attn_v.weight").ne());
                for (GgufTensorInfo t : f.tensors()) {
                    GgmlType want = t.ne().length == 1 ? GgmlType.F32 : t.name().endsWith("ffn_down.weight") ? GgmlType.F16 : GgmlType.Q4_K;
                    assertEquals(want, t.ggmlType(), t.name());
                    float[] w = SyntheticLlama.weights(c, t.name(), t.ne());
                    MemorySegment q = Arena.ofAuto().allocate(t.byteSize());
                    BlockCodecs.quantize(t.dtype(), w, 0, w.length, q, 0);
                    assertEquals(-1, q.mismatch(f.tensorData(t)), t.name());
                }
            }
        }
    }

    @Test
    void weightsAreDeterministicPerTensorAndScaled() {
        SyntheticLlama.Config c = SyntheticLlama.Config.of(64, 128, 1, 4, 4, 64);
        float[] a = SyntheticLlama.weights(c, "blk.0.ffn_up.weight", new long[] {64, 128});
        assertArrayEquals(a, SyntheticLlama.weights(c, "blk.0.ffn_up.weight", new long[] {64, 128}));
        assertNotEquals(a[0], SyntheticLlama.weights(c, "blk.0.ffn_gate.weight", new long[] {64, 128})[0]);
        assertNotEquals(a[0], SyntheticLlama.weights(c.withSeed(2), "blk.0.ffn_up.weight", new long[] {64, 128})[0]);
        double s = 0;
        for (float v : a) s += v * v;
        assertEquals(1.0 / 64, s / a.length, 0.1 / 64, "variance 1/fan-in");
        // a window of rows equals the same rows of the whole tensor
        float[] rows = new float[3 * 64];
        SyntheticLlama.fillRows(c, "blk.0.ffn_up.weight", new long[] {64, 128}, 10, 3, rows);
        assertArrayEquals(java.util.Arrays.copyOfRange(a, 640, 640 + 192), rows);
        float[] norm = SyntheticLlama.weights(c, "output_norm.weight", new long[] {64});
        for (float v : norm) assertTrue(v > 0.6f && v < 1.4f); // 1 + 0.1 g with |g| < 2 sqrt(3)
        float[] stress = SyntheticLlama.weights(c.withStressBlocks(true), "blk.0.ffn_up.weight", new long[] {64, 128});
        for (int j = 0; j < 64; j++) assertEquals(0f, stress[64 + j]);   // row 1 all zero
        assertEquals(0f, stress[0]);                                      // row 0, block 0 all zero
        assertArrayEquals(java.util.Arrays.copyOfRange(a, 256, a.length), java.util.Arrays.copyOfRange(stress, 256, stress.length));
    }

    @Test
    void rejectsBadHyperparameters() {
        assertThrows(IllegalArgumentException.class, () -> SyntheticLlama.Config.of(250, 256, 1, 4, 2, 64));
        assertThrows(IllegalArgumentException.class, () -> SyntheticLlama.Config.of(256, 256, 1, 4, 3, 64));
        assertThrows(IllegalArgumentException.class, () -> SyntheticLlama.Config.of(256, 256, 0, 4, 2, 64));
        try (GgufFile noVocab = GgufFile.open(TestFiles.model(TestFiles.STORIES_V1))) {
            // the v1 file has a vocabulary too; a file without one is refused
            assertEquals(512, SyntheticLlama.vocabSize(noVocab));
        }
        List<SyntheticLlama.TensorSpec> specs = SyntheticLlama.tensors(SyntheticLlama.Config.of(64, 64, 1, 2, 1, 8), 10);
        assertEquals("token_embd.weight", specs.get(0).name());
        assertEquals(12, specs.size());
    }
}
