package ggufc.gguf;

import ggufc.ir.DType;
import ggufc.ir.TensorData;
import ggufc.ir.quant.BlockCodecs;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufTensorsTest {
    private static final ValueLayout.OfFloat LEF = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void tensorsAreReversedShapeSlicesOfTheMapping() {
        try (GgufFile f = GgufFile.open(TestFiles.model(TestFiles.STORIES_V3))) {
            GgufTensorInfo info = f.tensor("blk.0.ffn_gate.weight");
            assertArrayEquals(new long[] {64, 172}, info.ne());
            TensorData t = GgufTensors.irTensor(f, "blk.0.ffn_gate.weight");
            assertEquals(DType.F32, t.dtype());
            assertArrayEquals(new long[] {172, 64}, t.shape());
            assertEquals(f.bytes().address() + f.dataOffset() + info.offset(), t.bytes().address(), "not a slice of the mapping");
            assertEquals(info.byteSize(), t.bytes().byteSize());
            assertTrue(t.bytes().isReadOnly());
            assertFalse(GgufTensors.needsFlatDequant(info));
            assertArrayEquals(new long[] {64}, GgufTensors.irTensor(f, "output_norm.weight").shape());
            GgufException e = assertThrows(GgufException.class, () -> GgufTensors.irTensor(f, "nope.weight"));
            assertEquals("stories260K.gguf: no tensor named 'nope.weight'", e.getMessage());
        }
    }

    @Test
    void quantizedTensorsWithWholeBlockRowsAreSlicesAndTheFlatFfnDownIsDequantized() {
        try (GgufFile f = GgufFile.open(TestFiles.model(TestFiles.STORIES_Q8_V2))) {
            int flat = 0;
            for (GgufTensorInfo info : f.tensors()) {
                TensorData t = GgufTensors.irTensor(f, info);
                assertArrayEquals(info.irShape(), t.shape());
                if (info.name().endsWith("ffn_down.weight")) {
                    assertTrue(GgufTensors.needsFlatDequant(info), info.name());
                    assertEquals(GgmlType.Q8_0, info.ggmlType());
                    assertArrayEquals(new long[] {172, 64}, info.ne());
                    assertEquals(11008L / 32 * 34, info.byteSize());
                    assertEquals(DType.F32, t.dtype());
                    assertArrayEquals(new long[] {64, 172}, t.shape());
                    flat++;
                } else {
                    assertFalse(GgufTensors.needsFlatDequant(info), info.name());
                    assertEquals(info.dtype(), t.dtype());
                    assertEquals(f.bytes().address() + f.dataOffset() + info.offset(), t.bytes().address());
                }
            }
            assertEquals(5, flat);
        }
    }

    /** (c) the shipped Q8_0 file dequantizes to within 0.0073 of the F32 file, flat ffn_down included. */
    @Test
    void q8FileDequantizesCloseToTheF32File() {
        try (GgufFile q = GgufFile.open(TestFiles.model(TestFiles.STORIES_Q8_V2));
             GgufFile v3 = GgufFile.open(TestFiles.model(TestFiles.STORIES_V3));
             GgufFile v1 = GgufFile.open(TestFiles.model(TestFiles.STORIES_V1))) {
            assertEquals(48, q.tensors().size());
            double worst = 0, worstFlat = 0;
            for (GgufTensorInfo qi : q.tensors()) {
                GgufTensorInfo fi = v3.tensor(qi.name()), f1 = v1.tensor(qi.name());
                assertArrayEquals(fi.ne(), qi.ne(), qi.name());
                TensorData a = GgufTensors.irTensor(q, qi), b = GgufTensors.irTensor(v3, fi);
                assertArrayEquals(b.shape(), a.shape());
                // the two F32 files hold the same floats
                assertEquals(-1, v3.tensorData(fi).mismatch(v1.tensorData(f1)), qi.name() + " differs between the v3 and v1 F32 files");
                float[] x = GgufTensors.dequantize(v3, fi);
                float[] y = new float[x.length];
                BlockCodecs.dequantize(a.dtype(), a.bytes(), 0, y, 0, y.length);
                double m = 0;
                for (int i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
                assertTrue(m <= 0.0073, qi.name() + ": max abs difference " + m);
                worst = Math.max(worst, m);
                if (GgufTensors.needsFlatDequant(qi)) worstFlat = Math.max(worstFlat, m);
                if (qi.ggmlType() == GgmlType.F32) assertEquals(0.0, m, qi.name());
            }
            assertTrue(worst > 0.001, "suspiciously exact: " + worst);
            assertTrue(worstFlat > 0.001 && worstFlat <= 0.0073, "flat ffn_down: " + worstFlat);
            // dequantizing ffn_down per row (as if rows were whole blocks) would be wrong: check we are not doing that
            GgufTensorInfo down = q.tensor("blk.0.ffn_down.weight");
            TensorData t = GgufTensors.irTensor(q, down);
            float[] x = GgufTensors.dequantize(v3, v3.tensor("blk.0.ffn_down.weight"));
            for (int i = 0; i < x.length; i += 97) assertEquals(x[i], t.bytes().getAtIndex(LEF, i), 0.0073);
        }
    }
}
