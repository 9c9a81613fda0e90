package ggufc.gguf;

import ggufc.ir.DType;
import ggufc.ir.TensorData;
import ggufc.ir.quant.BlockCodecs;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * GGUF tensors as IR tensors. Shapes are reversed from ggml's {@code ne} (IR order is outermost
 * first), and the bytes are a read-only slice of the file mapping, never a copy, with one
 * exception: a quantized tensor whose rows ({@code ne[0]}) are not whole blocks although its
 * element count is (old converters quantized such tensors as one flat block stream, e.g.
 * {@code blk.*.ffn_down.weight} [172, 64] in tinyllamas-stories-260k-q8_0.gguf). The IR needs
 * whole blocks per row, so such a tensor comes back as an F32 copy dequantized as one flat stream;
 * {@link #needsFlatDequant} tells callers when that happens so they can log it.
 */
public final class GgufTensors {
    private GgufTensors() {}

    /** The tensor called {@code name}, in IR order; a GgufException if there is none. */
    public static TensorData irTensor(GgufFile f, String name) {
        GgufTensorInfo t = f.tensor(name);
        if (t == null) throw f.fail("no tensor named '" + name + "'");
        return irTensor(f, t);
    }

    public static TensorData irTensor(GgufFile f, GgufTensorInfo t) {
        long[] shape = t.irShape();
        if (!needsFlatDequant(t)) return new TensorData(t.dtype(), shape, f.tensorData(t));
        long n = t.elements();
        if (n > Integer.MAX_VALUE - 8) throw f.fail("tensor '" + t.name() + "' is too large to dequantize as a flat block stream");
        float[] values = dequantize(f, t);
        MemorySegment out = Arena.ofAuto().allocate(4 * n, 4);
        BlockCodecs.quantize(DType.F32, values, 0, values.length, out, 0);
        return new TensorData(DType.F32, shape, out);
    }

    /**
     * True for a quantized tensor whose rows are not whole blocks (its total element count is:
     * the reader rejects anything else), which {@link #irTensor} returns as a dequantized F32 copy.
     */
    public static boolean needsFlatDequant(GgufTensorInfo t) {
        return t.dtype().isQuantized() && !t.rowsAlignedToBlocks();
    }

    /** All elements of {@code t} as floats, decoded as one flat block stream (ggml element order). */
    public static float[] dequantize(GgufFile f, GgufTensorInfo t) {
        long n = t.elements();
        if (n > Integer.MAX_VALUE - 8) throw f.fail("tensor '" + t.name() + "' has " + n + " elements, too many for one float[]");
        if (!BlockCodecs.supports(t.dtype())) throw f.fail("tensor '" + t.name() + "' is " + t.dtype() + ", an integer type; it has no float values");
        float[] out = new float[(int) n];
        BlockCodecs.dequantize(t.dtype(), f.tensorData(t), 0, out, 0, (int) n);
        return out;
    }
}
