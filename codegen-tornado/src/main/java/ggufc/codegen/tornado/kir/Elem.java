package ggufc.codegen.tornado.kir;

/**
 * Element types in memory. Loads widen to a {@link Scalar}: f16 to f32 (OpenCL 1.2's
 * {@code vload_half}, so no half arithmetic is needed), i8 sign-extends and u8 zero-extends to i32.
 * Stores narrow back (f16 rounds to nearest even).
 */
public enum Elem {
    F32(4, Scalar.F32, "float"),
    F16(2, Scalar.F32, "half"),
    I32(4, Scalar.I32, "int"),
    I8(1, Scalar.I32, "char"),
    U8(1, Scalar.I32, "uchar");

    private final int bytes;
    private final Scalar register;
    private final String cName;

    Elem(int bytes, Scalar register, String cName) {
        this.bytes = bytes;
        this.register = register;
        this.cName = cName;
    }

    public int bytes() { return bytes; }

    /** The register type a load of this element gives. */
    public Scalar register() { return register; }

    /** The OpenCL C name of the element type. */
    public String cName() { return cName; }
}
