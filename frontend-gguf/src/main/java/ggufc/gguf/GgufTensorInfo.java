package ggufc.gguf;

import ggufc.ir.DType;

/**
 * One entry of the tensor table. {@code ne} is in GGUF order (ne[0] is the innermost, contiguous
 * dimension; empty for a scalar, as ggml allows 0 dimensions); {@code offset} is relative to the
 * start of the data section.
 */
public record GgufTensorInfo(String name, long[] ne, GgmlType ggmlType, long offset, long byteSize) {

    public long elements() {
        long n = 1;
        for (long d : ne) n *= d;
        return n;
    }

    /** The IR dtype (throws for ggml types the IR does not model). */
    public DType dtype() { return ggmlType.dtype(); }

    /** Shape in IR order (outermost first): the reverse of {@code ne}. */
    public long[] irShape() {
        long[] s = new long[ne.length];
        for (int i = 0; i < ne.length; i++) s[i] = ne[ne.length - 1 - i];
        return s;
    }

    /** True when each row (ne[0]) is a whole number of blocks, as current llama.cpp requires. */
    public boolean rowsAlignedToBlocks() { return ne.length == 0 ? ggmlType.blockSize() == 1 : ne[0] % ggmlType.blockSize() == 0; }
}
