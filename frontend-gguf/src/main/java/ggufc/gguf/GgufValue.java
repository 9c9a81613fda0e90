package ggufc.gguf;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One metadata value with its GGUF type, kept so that files can be written back unchanged.
 * Java representation: UINT8/INT8/UINT16/INT16/INT32 as Integer, UINT32/UINT64/INT64 as Long
 * (UINT64 keeps its 64 bits in a signed long), FLOAT32 as Float, FLOAT64 as Double, BOOL as
 * Boolean, STRING as String. Arrays ({@code type == ARRAY}, {@code elementType} set): strings as
 * {@code List<String>}, 8/16/32-bit integers as {@code int[]}, UINT32/64-bit integers as
 * {@code long[]}, FLOAT32 as {@code float[]}, FLOAT64 as {@code double[]}, BOOL as
 * {@code boolean[]}, nested arrays as {@code List<GgufValue>} (each element an array value).
 *
 * <p>Equality is deep (array contents; floats compared by bits, so NaN equals the same NaN).
 */
public record GgufValue(GgufValueType type, GgufValueType elementType, Object value) {

    public GgufValue {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
    }

    public static GgufValue of(String s) { return new GgufValue(GgufValueType.STRING, null, s); }
    public static GgufValue u8(int v) { return new GgufValue(GgufValueType.UINT8, null, v); }
    public static GgufValue i8(int v) { return new GgufValue(GgufValueType.INT8, null, v); }
    public static GgufValue u16(int v) { return new GgufValue(GgufValueType.UINT16, null, v); }
    public static GgufValue i16(int v) { return new GgufValue(GgufValueType.INT16, null, v); }
    public static GgufValue u32(long v) { return new GgufValue(GgufValueType.UINT32, null, v); }
    public static GgufValue i32(int v) { return new GgufValue(GgufValueType.INT32, null, v); }
    public static GgufValue u64(long v) { return new GgufValue(GgufValueType.UINT64, null, v); }
    public static GgufValue i64(long v) { return new GgufValue(GgufValueType.INT64, null, v); }
    public static GgufValue f32(float v) { return new GgufValue(GgufValueType.FLOAT32, null, v); }
    public static GgufValue f64(double v) { return new GgufValue(GgufValueType.FLOAT64, null, v); }
    public static GgufValue bool(boolean v) { return new GgufValue(GgufValueType.BOOL, null, v); }
    public static GgufValue strings(List<String> v) { return new GgufValue(GgufValueType.ARRAY, GgufValueType.STRING, List.copyOf(v)); }
    public static GgufValue floats(float[] v) { return new GgufValue(GgufValueType.ARRAY, GgufValueType.FLOAT32, v); }
    public static GgufValue doubles(double[] v) { return new GgufValue(GgufValueType.ARRAY, GgufValueType.FLOAT64, v); }
    public static GgufValue ints(int[] v) { return new GgufValue(GgufValueType.ARRAY, GgufValueType.INT32, v); }
    public static GgufValue bools(boolean[] v) { return new GgufValue(GgufValueType.ARRAY, GgufValueType.BOOL, v); }

    /** An array of 8/16/32-bit integers ({@code int[]}) or UINT32/UINT64/INT64 ({@code long[]}) of the given element type. */
    public static GgufValue array(GgufValueType elementType, Object javaArray) {
        GgufValue v = new GgufValue(GgufValueType.ARRAY, elementType, javaArray);
        String problem = v.problem();
        if (problem != null) throw new IllegalArgumentException(problem);
        return v;
    }

    /** An array of arrays. */
    public static GgufValue nested(List<GgufValue> arrays) { return array(GgufValueType.ARRAY, List.copyOf(arrays)); }

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

    /**
     * Why this value cannot be written as its GGUF type (wrong Java representation, integer out
     * of the type's range, nested non-array), or null when it can.
     */
    public String problem() {
        if (type != GgufValueType.ARRAY) {
            if (elementType != null) return type + " value has an element type";
            return scalarProblem(type, value);
        }
        if (elementType == null) return "array value without an element type";
        switch (elementType) {
            case UINT8, INT8, UINT16, INT16, INT32 -> {
                if (!(value instanceof int[] a)) return "array of " + elementType + " must be an int[]";
                for (int x : a) if (scalarProblem(elementType, x) != null) return scalarProblem(elementType, x);
            }
            case UINT32, UINT64, INT64 -> {
                if (!(value instanceof long[] a)) return "array of " + elementType + " must be a long[]";
                for (long x : a) if (scalarProblem(elementType, x) != null) return scalarProblem(elementType, x);
            }
            case FLOAT32 -> { if (!(value instanceof float[])) return "array of FLOAT32 must be a float[]"; }
            case FLOAT64 -> { if (!(value instanceof double[])) return "array of FLOAT64 must be a double[]"; }
            case BOOL -> { if (!(value instanceof boolean[])) return "array of BOOL must be a boolean[]"; }
            case STRING -> {
                if (!(value instanceof List<?> l)) return "array of STRING must be a List<String>";
                for (Object o : l) if (!(o instanceof String)) return "array of STRING holds " + (o == null ? "null" : o.getClass().getSimpleName());
            }
            case ARRAY -> {
                if (!(value instanceof List<?> l)) return "array of arrays must be a List<GgufValue>";
                for (Object o : l) {
                    if (!(o instanceof GgufValue g) || !g.isArray()) return "array of arrays holds a non-array element";
                    String p = g.problem();
                    if (p != null) return "nested: " + p;
                }
            }
        }
        return null;
    }

    private static String scalarProblem(GgufValueType t, Object v) {
        return switch (t) {
            case UINT8 -> v instanceof Integer i && i >= 0 && i <= 0xff ? null : "UINT8 needs an Integer in [0, 255], got " + v;
            case INT8 -> v instanceof Integer i && i >= Byte.MIN_VALUE && i <= Byte.MAX_VALUE ? null : "INT8 needs an Integer in [-128, 127], got " + v;
            case UINT16 -> v instanceof Integer i && i >= 0 && i <= 0xffff ? null : "UINT16 needs an Integer in [0, 65535], got " + v;
            case INT16 -> v instanceof Integer i && i >= Short.MIN_VALUE && i <= Short.MAX_VALUE ? null : "INT16 needs an Integer in [-32768, 32767], got " + v;
            case INT32 -> v instanceof Integer ? null : "INT32 needs an Integer, got " + v;
            case UINT32 -> v instanceof Long l && l >= 0 && l <= 0xffffffffL ? null : "UINT32 needs a Long in [0, 2^32), got " + v;
            case UINT64, INT64 -> v instanceof Long ? null : t + " needs a Long, got " + v;
            case FLOAT32 -> v instanceof Float ? null : "FLOAT32 needs a Float, got " + v;
            case FLOAT64 -> v instanceof Double ? null : "FLOAT64 needs a Double, got " + v;
            case BOOL -> v instanceof Boolean ? null : "BOOL needs a Boolean, got " + v;
            case STRING -> v instanceof String ? null : "STRING needs a String, got " + v;
            case ARRAY -> "ARRAY is not a scalar type";
        };
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof GgufValue g) || type != g.type || elementType != g.elementType) return false;
        return switch (value) {
            case int[] a -> g.value instanceof int[] b && Arrays.equals(a, b);
            case long[] a -> g.value instanceof long[] b && Arrays.equals(a, b);
            case float[] a -> g.value instanceof float[] b && Arrays.equals(a, b);
            case double[] a -> g.value instanceof double[] b && Arrays.equals(a, b);
            case boolean[] a -> g.value instanceof boolean[] b && Arrays.equals(a, b);
            default -> value.equals(g.value);
        };
    }

    @Override
    public int hashCode() {
        int h = 31 * type.hashCode() + Objects.hashCode(elementType);
        return 31 * h + switch (value) {
            case int[] a -> Arrays.hashCode(a);
            case long[] a -> Arrays.hashCode(a);
            case float[] a -> Arrays.hashCode(a);
            case double[] a -> Arrays.hashCode(a);
            case boolean[] a -> Arrays.hashCode(a);
            default -> value.hashCode();
        };
    }

    @Override
    public String toString() {
        if (!isArray()) return type == GgufValueType.STRING ? '"' + (String) value + '"' : String.valueOf(value);
        return "[" + elementType.name().toLowerCase() + " x " + length() + "]";
    }
}
