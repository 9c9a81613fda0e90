package ggufc.ir;

import java.util.Locale;

/**
 * Element types of IR tensors. Quantized types are stored as blocks of {@link #blockSize()} elements
 * taking {@link #blockBytes()} bytes; their layout is the ggml block layout (a dtype's meaning, not a
 * file format), decoded by {@code ggufc.ir.quant.BlockCodecs}.
 */
public enum DType {
    F32(1, 4), F16(1, 2), BF16(1, 2), I32(1, 4), I8(1, 1),
    Q4_0(32, 18), Q4_1(32, 20), Q5_0(32, 22), Q5_1(32, 24), Q8_0(32, 34), Q8_1(32, 36),
    Q2_K(256, 84), Q3_K(256, 110), Q4_K(256, 144), Q5_K(256, 176), Q6_K(256, 210), Q8_K(256, 292);

    private final int blockSize;
    private final int blockBytes;

    DType(int blockSize, int blockBytes) {
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** Elements per block (1 for plain types). */
    public int blockSize() { return blockSize; }

    /** Bytes per block (bytes per element for plain types). */
    public int blockBytes() { return blockBytes; }

    public boolean isQuantized() { return blockSize > 1; }

    public boolean isFloat() { return this == F32 || this == F16 || this == BF16; }

    public boolean isInteger() { return this == I32 || this == I8; }

    /** Bytes needed for {@code elements} elements; elements must be a multiple of the block size. */
    public long bytesFor(long elements) {
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(elements + " elements is not a multiple of the " + this + " block size " + blockSize);
        }
        return elements / blockSize * blockBytes;
    }

    /** Name in the textual IR, e.g. {@code f32}, {@code q4_k}. */
    public String irName() { return name().toLowerCase(Locale.ROOT); }

    public static DType fromIrName(String name) {
        for (DType t : values()) {
            if (t.irName().equals(name)) return t;
        }
        throw new IllegalArgumentException("unknown dtype '" + name + "'");
    }
}
