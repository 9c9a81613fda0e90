package ggufc.codegen.tornado.kir;

/**
 * A buffer: a global kernel argument ({@code length} -1, unknown), or a local (work-group) or
 * private (work-item) array of {@code length} elements declared by {@link Instr.DeclArray}.
 * {@code written} marks global buffers the kernel stores to (the others are {@code const}).
 */
public record Buf(int id, String name, Elem elem, Space space, int length, boolean written) implements KParam {
    @Override
    public String toString() { return name; }
}
