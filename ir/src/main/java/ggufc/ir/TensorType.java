package ggufc.ir;

/** The type of an IR value: shape and element type. Printed as {@code tensor<Tx64xf32>}. */
public record TensorType(Shape shape, DType dtype) {
    public static TensorType of(DType dtype, Object... dims) { return new TensorType(Shape.of(dims), dtype); }

    public int rank() { return shape.rank(); }

    public TensorType withDType(DType d) { return new TensorType(shape, d); }

    public TensorType withShape(Shape s) { return new TensorType(s, dtype); }

    @Override
    public String toString() {
        return "tensor<" + (shape.rank() == 0 ? "" : shape + "x") + dtype.irName() + ">";
    }
}
