package ggufc.gguf;

import java.util.List;

/**
 * One metadata value with its GGUF type, kept so that files can be written back unchanged.
 * Java representation: UINT8/INT8/UINT16/INT16/INT32 as Integer, UINT32/UINT64/INT64 as Long,
 * FLOAT32 as Float, FLOAT64 as Double, BOOL as Boolean, STRING as String. Arrays
 * ({@code type == ARRAY}, {@code elementType} set): strings as {@code List<String>}, 8/16/32-bit
 * integers as {@code int[]}, UINT32/64-bit integers as {@code long[]}, FLOAT32 as {@code float[]},
 * FLOAT64 as {@code double[]}, BOOL as {@code boolean[]}, nested arrays as {@code List<GgufValue>}.
 */
public record GgufValue(GgufValueType type, GgufValueType elementType, Object value) {

    public static GgufValue of(String s) { return new GgufValue(GgufValueType.STRING, null, s); }
    public static GgufValue u32(long v) { return new GgufValue(GgufValueType.UINT32, null, v); }
    public static GgufValue i32(int v) { return new GgufValue(GgufValueType.INT32, null, v); }
    public static GgufValue f32(float v) { return new GgufValue(GgufValueType.FLOAT32, null, v); }
    public static GgufValue bool(boolean v) { return new GgufValue(GgufValueType.BOOL, null, v); }
    public static GgufValue strings(List<String> v) { return new GgufValue(GgufValueType.ARRAY, GgufValueType.STRING, List.copyOf(v)); }
    public static GgufValue floats(float[] v) { return new GgufValue(GgufValueType.ARRAY, GgufValueType.FLOAT32, v); }
    public static GgufValue ints(int[] v) { return new GgufValue(GgufValueType.ARRAY, GgufValueType.INT32, v); }

    public boolean isArray() { return type == GgufValueType.ARRAY; }

    /** Number of elements of an array value. */
    public int length() {
        return switch (value) {
            case List<?> l -> l.size();
            case int[] a -> a.length;
            case long[] a -> a.length;
            case float[] a -> a.length;
            case double[] a -> a.length;
            case boolean[] a -> a.length;
            default -> throw new IllegalStateException("not an array: " + type);
        };
    }

    @Override
    public String toString() {
        if (!isArray()) return type == GgufValueType.STRING ? '"' + (String) value + '"' : String.valueOf(value);
        return "[" + elementType.name().toLowerCase() + " x " + length() + "]";
    }
}
