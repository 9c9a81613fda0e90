package ggufc.gguf;

import ggufc.ir.DType;

/** ggml's tensor type ids as stored in GGUF tensor infos ({@code enum ggml_type}). */
public enum GgmlType {
    F32(0, DType.F32), F16(1, DType.F16), Q4_0(2, DType.Q4_0), Q4_1(3, DType.Q4_1),
    Q5_0(6, DType.Q5_0), Q5_1(7, DType.Q5_1), Q8_0(8, DType.Q8_0), Q8_1(9, DType.Q8_1),
    Q2_K(10, DType.Q2_K), Q3_K(11, DType.Q3_K), Q4_K(12, DType.Q4_K), Q5_K(13, DType.Q5_K),
    Q6_K(14, DType.Q6_K), Q8_K(15, DType.Q8_K), I8(24, DType.I8), I32(26, DType.I32), BF16(30, DType.BF16);

    private final int id;
    private final DType dtype;

    GgmlType(int id, DType dtype) {
        this.id = id;
        this.dtype = dtype;
    }

    public int id() { return id; }

    public DType dtype() { return dtype; }

    public int blockSize() { return dtype.blockSize(); }

    public static GgmlType byId(int id) {
        for (GgmlType t : values()) if (t.id == id) return t;
        return null;
    }

    public static GgmlType of(DType d) {
        for (GgmlType t : values()) if (t.dtype == d) return t;
        throw new IllegalArgumentException("no ggml type for " + d);
    }

    /** Names of ggml type ids we know of but do not support, for clear error messages. */
    static String describeUnsupported(int id) {
        return switch (id) {
            case 4, 5 -> "Q4_2/Q4_3, removed from ggml";
            case 16 -> "IQ2_XXS"; case 17 -> "IQ2_XS"; case 18 -> "IQ3_XXS"; case 19 -> "IQ1_S";
            case 20 -> "IQ4_NL"; case 21 -> "IQ3_S"; case 22 -> "IQ2_S"; case 23 -> "IQ4_XS";
            case 25 -> "I16"; case 27 -> "I64"; case 28 -> "F64"; case 29 -> "IQ1_M";
            case 31, 32, 33 -> "Q4_0_4_4/Q4_0_4_8/Q4_0_8_8, removed from GGUF files";
            case 34 -> "TQ1_0"; case 35 -> "TQ2_0";
            case 36, 37, 38 -> "IQ4_NL_4_4/IQ4_NL_4_8/IQ4_NL_8_8, removed from GGUF files";
            case 39 -> "MXFP4"; case 40 -> "NVFP4"; case 41 -> "Q1_0"; case 42 -> "Q2_0";
            default -> "not a ggml type";
        };
    }

    /** The supported type names, for error messages. */
    static String supportedNames() {
        StringBuilder sb = new StringBuilder();
        for (GgmlType t : values()) sb.append(sb.isEmpty() ? "" : ", ").append(t);
        return sb.toString();
    }
}
