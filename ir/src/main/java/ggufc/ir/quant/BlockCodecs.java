package ggufc.ir.quant;

import ggufc.ir.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** PLACEHOLDER until the gguf branch lands: F32 only. */
public final class BlockCodecs {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private BlockCodecs() {}

    public static void quantize(DType t, float[] src, int srcOffset, int n, MemorySegment dst, long byteOffset) {
        throw new UnsupportedOperationException(t.toString());
    }

    public static void dequantize(DType t, MemorySegment src, long byteOffset, float[] dst, int dstOffset, int n) {
        if (t != DType.F32) throw new UnsupportedOperationException(t.toString());
        for (int i = 0; i < n; i++) dst[dstOffset + i] = src.get(F32, byteOffset + 4L * i);
    }
}
