package ggufc.runtime.fuzz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Where each header field of a (valid) GGUF file lies: a walk over the bytes written for the fuzzer
 * alone, independent of the reader it attacks, so that mutations can aim at counts, lengths, value
 * types, dimensions, tensor types and offsets instead of random bytes.
 */
final class GgufLayout {
    enum Kind { VERSION, COUNT, STRING_LENGTH, VALUE_TYPE, ARRAY_TYPE, ARRAY_LENGTH, NUMBER, FLOAT, TENSOR_DIMS, TENSOR_DIM, TENSOR_TYPE, TENSOR_OFFSET }

    /** {@code width} bytes at {@code offset}, little endian. */
    record Field(Kind kind, int offset, int width) {}

    final List<Field> fields = new ArrayList<>();
    /** Where the tensor infos end (the data section starts at the next alignment boundary). */
    int headerEnd;
    /** Offset of each tensor info's first field (its name length). */
    final List<Integer> tensorInfos = new ArrayList<>();

    private final ByteBuffer b;
    private final boolean v1;
    /** Array elements recorded per array: a hostile value in a 50,000-entry vocabulary is found by sampling too. */
    private static final int ARRAY_SAMPLE = 64;

    private GgufLayout(byte[] bytes) {
        b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        b.position(4);
        field(Kind.VERSION, 4);
        v1 = b.getInt() == 1;
    }

    static GgufLayout of(byte[] bytes) {
        GgufLayout l = new GgufLayout(bytes);
        l.walk();
        return l;
    }

    private int sizeWidth() { return v1 ? 4 : 8; }

    private long size() { return v1 ? Integer.toUnsignedLong(b.getInt()) : b.getLong(); }

    private void field(Kind k, int width) { fields.add(new Field(k, b.position(), width)); }

    private void walk() {
        field(Kind.COUNT, sizeWidth());
        long nTensors = size();
        field(Kind.COUNT, sizeWidth());
        long nKv = size();
        for (long i = 0; i < nKv; i++) {
            string(true);
            field(Kind.VALUE_TYPE, 4);
            value(b.getInt(), true);
        }
        for (long i = 0; i < nTensors; i++) {
            tensorInfos.add(b.position());
            string(true);
            field(Kind.TENSOR_DIMS, 4);
            int nDims = b.getInt();
            for (int d = 0; d < nDims; d++) {
                field(Kind.TENSOR_DIM, sizeWidth());
                size();
            }
            field(Kind.TENSOR_TYPE, 4);
            b.getInt();
            field(Kind.TENSOR_OFFSET, 8);
            b.getLong();
        }
        headerEnd = b.position();
    }

    private void string(boolean record) {
        if (record) field(Kind.STRING_LENGTH, sizeWidth());
        long n = size();
        b.position((int) (b.position() + n));
    }

    private void value(int type, boolean record) {
        switch (type) {
            case 0, 1, 7 -> skip(1, record, Kind.NUMBER);        // u8, i8, bool
            case 2, 3 -> skip(2, record, Kind.NUMBER);           // u16, i16
            case 4, 5 -> skip(4, record, Kind.NUMBER);           // u32, i32
            case 6 -> skip(4, record, Kind.FLOAT);               // f32
            case 10, 11 -> skip(8, record, Kind.NUMBER);         // u64, i64
            case 12 -> skip(8, record, Kind.FLOAT);              // f64
            case 8 -> string(record);
            case 9 -> {
                if (record) field(Kind.ARRAY_TYPE, 4);
                int et = b.getInt();
                if (record) field(Kind.ARRAY_LENGTH, sizeWidth());
                long n = size();
                for (long i = 0; i < n; i++) value(et, record && (i < ARRAY_SAMPLE / 2 || i >= n - ARRAY_SAMPLE / 2));
            }
            default -> throw new IllegalArgumentException("not a valid GGUF seed: value type " + type);
        }
    }

    private void skip(int width, boolean record, Kind k) {
        if (record) field(k, width);
        b.position(b.position() + width);
    }
}
