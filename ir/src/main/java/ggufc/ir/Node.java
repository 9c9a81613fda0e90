package ggufc.ir;

import java.util.List;

/**
 * One SSA value: an op applied to earlier nodes. Immutable; identity is the object (graphs compare
 * structurally through {@link Graph#structurallyEquals}). {@code id} is the creation index within
 * its graph builder and is only used for messages; the printer renumbers.
 */
public final class Node {
    private final int id;
    private final OpKind op;
    private final List<Node> inputs;
    private final Attrs attrs;
    private final TensorType type;

    Node(int id, OpKind op, List<Node> inputs, Attrs attrs, TensorType type) {
        this.id = id;
        this.op = op;
        this.inputs = List.copyOf(inputs);
        this.attrs = attrs;
        this.type = type;
    }

    public int id() { return id; }
    public OpKind op() { return op; }
    public List<Node> inputs() { return inputs; }
    public Node input(int i) { return inputs.get(i); }
    public Attrs attrs() { return attrs; }
    public TensorType type() { return type; }
    public Shape shape() { return type.shape(); }
    public DType dtype() { return type.dtype(); }

    /** The {name} of a leaf (input, param, state). */
    public String name() { return attrs.string("name"); }

    @Override
    public String toString() { return "%" + id + " = " + op.irName() + " : " + type; }
}
