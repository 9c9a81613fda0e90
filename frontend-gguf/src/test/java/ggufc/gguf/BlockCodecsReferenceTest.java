package ggufc.gguf;

import ggufc.ir.DType;
import ggufc.ir.quant.BlockCodecs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Bit-exactness of {@link BlockCodecs} against llama.cpp's own {@code quantize_row_*_ref},
 * {@code dequantize_row_*} and fp16/bf16 conversions, run on edge-case inputs by
 * {@code quant-golden/refquant.c} (see quant-golden/README.md). Reads committed goldens only.
 */
class BlockCodecsReferenceTest {
    private static final String DIR = "quant-golden/edge/";
    private static final Map<String, String> HASHES = TestFiles.tsv(DIR + "hashes.tsv");
    private static final float[] EDGE = TestFiles.floats(TestFiles.resource(DIR + "edge-input.f32"));

    private static long hash(String key) {
        String v = HASHES.get(key);
        if (v == null) fail("hashes.tsv has no " + key);
        return Long.parseUnsignedLong(v, 16);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K"})
    void quantizeMatchesReferenceBitForBit(DType t) {
        byte[] want = TestFiles.resource(DIR + "edge-" + t + ".bin");
        MemorySegment got = Arena.ofAuto().allocate(t.bytesFor(EDGE.length));
        BlockCodecs.quantize(t, EDGE, 0, EDGE.length, got, 0);
        byte[] g = got.toArray(ValueLayout.JAVA_BYTE);
        assertEquals(want.length, g.length);
        for (int b = 0; b < want.length / t.blockBytes(); b++) {
            int o = b * t.blockBytes();
            if (!java.util.Arrays.equals(want, o, o + t.blockBytes(), g, o, o + t.blockBytes())) {
                int first = -1;
                for (int i = o; i < o + t.blockBytes(); i++) if (want[i] != g[i]) { first = i - o; break; }
                fail(t + " block " + b + " (input elements " + b * t.blockSize() + "..) differs from llama.cpp at byte " + first
                        + "\n want " + HexFormat.of().formatHex(want, o, o + t.blockBytes())
                        + "\n got  " + HexFormat.of().formatHex(g, o, o + t.blockBytes()));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K"})
    void dequantizeMatchesReferenceBitForBit(DType t) {
        for (String set : new String[] {"edge", "random"}) {
            byte[] blocks = TestFiles.resource(DIR + set + "-" + t + ".bin");
            int n = (int) (blocks.length / t.blockBytes() * t.blockSize());
            float[] y = new float[n];
            BlockCodecs.dequantize(t, MemorySegment.ofArray(blocks), 0, y, 0, n);
            assertEquals(hash(set + "-deq-" + t), TestFiles.fnvFloats(y, 0, n), set + " " + t + ": dequantize differs from llama.cpp's dequantize_row");
        }
    }

    @Test
    void q8_1DequantizeIsScaleTimesQuants() {
        byte[] blocks = TestFiles.resource(DIR + "random-Q8_1.bin");
        float[] y = new float[blocks.length / 36 * 32];
        BlockCodecs.dequantize(DType.Q8_1, MemorySegment.ofArray(blocks), 0, y, 0, y.length);
        for (int b = 0; b < blocks.length / 36; b++) {
            float d = BlockCodecs.f16ToF32((short) ((blocks[36 * b] & 0xff) | blocks[36 * b + 1] << 8));
            for (int j = 0; j < 32; j++) assertEquals(blocks[36 * b + 4 + j] * d, y[32 * b + j]);
        }
    }

    @Test
    void halfAndBfloatConversionsMatchGgml() {
        MemorySegment h = Arena.ofAuto().allocate(2L * EDGE.length);
        BlockCodecs.quantize(DType.F16, EDGE, 0, EDGE.length, h, 0);
        assertEquals(hash("edge-F16"), TestFiles.fnv(TestFiles.FNV0, h.toArray(ValueLayout.JAVA_BYTE), 0, (int) h.byteSize()));
        BlockCodecs.quantize(DType.BF16, EDGE, 0, EDGE.length, h, 0);
        assertEquals(hash("edge-BF16"), TestFiles.fnv(TestFiles.FNV0, h.toArray(ValueLayout.JAVA_BYTE), 0, (int) h.byteSize()));

        float[] all = new float[65536], allBf = new float[65536];
        for (int v = 0; v < 65536; v++) {
            all[v] = BlockCodecs.f16ToF32((short) v);
            allBf[v] = BlockCodecs.bf16ToF32((short) v);
        }
        assertEquals(hash("f16-to-f32-all"), TestFiles.fnvFloats(all, 0, all.length));
        assertEquals(hash("bf16-to-f32-all"), TestFiles.fnvFloats(allBf, 0, allBf.length));

        long a = TestFiles.FNV0, b = TestFiles.FNV0;
        for (long u = 0; u < 0x100000000L; u += 251) {
            float f = Float.intBitsToFloat((int) u);
            short r = BlockCodecs.f32ToF16(f), s = BlockCodecs.f32ToBf16(f);
            a = ((a ^ (r & 0xff)) * 0x100000001b3L ^ ((r >>> 8) & 0xff)) * 0x100000001b3L;
            b = ((b ^ (s & 0xff)) * 0x100000001b3L ^ ((s >>> 8) & 0xff)) * 0x100000001b3L;
        }
        assertEquals(hash("f32-to-f16-stride251"), a, "f32 -> f16 differs from ggml_fp32_to_fp16");
        assertEquals(hash("f32-to-bf16-stride251"), b, "f32 -> bf16 differs from ggml_fp32_to_bf16");
    }
}
